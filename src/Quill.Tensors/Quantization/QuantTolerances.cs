// The documented accuracy of the SIMD dots against their scalar references.
namespace Quill.Tensors.Quantization;

/// <summary>How far a SIMD <c>Dot</c> may stray from its <c>DotReference</c>.</summary>
public static class QuantTolerances
{
    /// <summary>
    /// Bound on |Dot - DotReference| relative to the sum of |w_i * x_i| over the row. Integer block sums are exact;
    /// only the float accumulation order (per-lane accumulators, FMA) differs.
    /// </summary>
    public const double DotRelative = 1e-5;
}
