// RMS normalisation with a learned scale, as ggml_rms_norm followed by ggml_mul; forward only for now.
using System.Numerics.Tensors;

namespace Quill.Tensors.Kernels;

/// <summary>y = x / sqrt(mean(x²) + eps) * weight, per row of C channels.</summary>
public static class RmsNorm
{
    /// <summary>Scalar meaning; the sum of squares is accumulated in double, as ggml does.</summary>
    public static void Reference(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++) sum += x[i] * x[i];
        float scale = 1.0f / MathF.Sqrt((float)(sum / x.Length) + eps);
        for (int i = 0; i < x.Length; i++) y[i] = x[i] * scale * weight[i];
    }

    /// <summary>Vectorised; differs from <see cref="Reference"/> only by float summation order (≈1e-6 relative).</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        float sum = TensorPrimitives.SumOfSquares(x);
        float scale = 1.0f / MathF.Sqrt(sum / x.Length + eps);
        TensorPrimitives.Multiply(x, scale, y);
        TensorPrimitives.Multiply(y, weight, y);
    }
}
