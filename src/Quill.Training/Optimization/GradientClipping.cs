// Clipping all gradients together by their global L2 norm, as torch.nn.utils.clip_grad_norm_; not per-tensor clipping.
namespace Quill.Training.Optimization;

public static class GradientClipping
{
    /// <summary>Added to the norm before dividing, as PyTorch does, so a zero gradient stays zero.</summary>
    public const double NormEpsilon = 1e-6;

    /// <summary>
    /// If the global norm exceeds <paramref name="maxNorm"/>, scales every gradient by maxNorm/(norm + 1e-6).
    /// Returns the norm before clipping (to log).
    /// </summary>
    public static double ClipByGlobalNorm(ParameterSet parameters, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm > 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "expected a positive maximum norm");
        double norm = parameters.GlobalGradNorm();
        double coefficient = maxNorm / (norm + NormEpsilon);
        if (coefficient < 1) parameters.ScaleGrads((float)coefficient);
        return norm;
    }
}
