// The two inner loops of the logistic regression, dot product and a·x + y, on TensorPrimitives with a plain scalar reference beside each.
using System.Numerics.Tensors;

namespace Quill.Monitoring.Statistics;

/// <summary>
/// <see cref="Dot"/> and <see cref="MultiplyAdd"/> run on TensorPrimitives (SIMD, its own summation order);
/// <see cref="DotReference"/> and <see cref="MultiplyAddReference"/> are the index-order loops they must match to
/// double rounding (the dot to about 1e-15 relative of Σ|x·y|, the update exactly: one multiply-add per element).
/// </summary>
public static class VectorKernels
{
    /// <summary>Σ x_i y_i.</summary>
    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y) => TensorPrimitives.Dot(x, y);

    /// <summary>The scalar reference of <see cref="Dot"/>.</summary>
    public static double DotReference(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        if (x.Length != y.Length) throw new ArgumentException($"vectors of different lengths {x.Length} and {y.Length}");
        double sum = 0;
        for (int i = 0; i < x.Length; i++) sum += x[i] * y[i];
        return sum;
    }

    /// <summary>y_i ← a·x_i + y_i.</summary>
    public static void MultiplyAdd(double a, ReadOnlySpan<double> x, Span<double> y) => TensorPrimitives.MultiplyAdd(x, a, y, y);

    /// <summary>The scalar reference of <see cref="MultiplyAdd"/>.</summary>
    public static void MultiplyAddReference(double a, ReadOnlySpan<double> x, Span<double> y)
    {
        if (x.Length != y.Length) throw new ArgumentException($"vectors of different lengths {x.Length} and {y.Length}");
        for (int i = 0; i < x.Length; i++) y[i] = x[i] * a + y[i];
    }
}
