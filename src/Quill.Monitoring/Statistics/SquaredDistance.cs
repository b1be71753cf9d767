// Squared Euclidean distance between two float vectors: TensorPrimitives' SIMD path and the plain scalar reference beside it.
using System.Numerics.Tensors;

namespace Quill.Monitoring.Statistics;

/// <summary>
/// Σ (a_i − b_i)² over equal-length vectors. <see cref="Run"/> squares TensorPrimitives.Distance (SIMD, float
/// accumulation in its own order, then widened); <see cref="Reference"/> accumulates in double, in index order. They
/// agree to float rounding (about 1e-6 relative), which is all the RBF kernel needs.
/// </summary>
public static class SquaredDistance
{
    /// <summary>The SIMD squared distance.</summary>
    public static double Run(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"vectors of different lengths {a.Length} and {b.Length}");
        if (a.Length == 0) return 0;
        double d = TensorPrimitives.Distance(a, b);
        return d * d;
    }

    /// <summary>The scalar reference: a double sum of squared differences in index order.</summary>
    public static double Reference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"vectors of different lengths {a.Length} and {b.Length}");
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double diff = (double)a[i] - b[i];
            sum += diff * diff;
        }
        return sum;
    }
}
