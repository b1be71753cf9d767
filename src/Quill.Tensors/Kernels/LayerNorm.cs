// Layer normalisation with a learned scale and bias, as ggml_norm followed by ggml_mul and ggml_add; forward only for now.
using System.Numerics.Tensors;

namespace Quill.Tensors.Kernels;

/// <summary>y = (x − mean(x)) / sqrt(var(x) + eps) * weight + bias, per row of C channels (biased variance, as PyTorch).</summary>
public static class LayerNorm
{
    /// <summary>Scalar meaning; mean and variance are accumulated in double, as ggml's vector sum does.</summary>
    public static void Reference(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, float eps, Span<float> y)
    {
        int n = x.Length;
        if (n == 0) return;
        double sum = 0;
        for (int i = 0; i < n; i++) sum += x[i];
        float mean = (float)(sum / n);
        double squares = 0;
        for (int i = 0; i < n; i++)
        {
            float v = x[i] - mean;
            squares += v * v;
        }
        float scale = 1.0f / MathF.Sqrt((float)(squares / n) + eps);
        for (int i = 0; i < n; i++) y[i] = (x[i] - mean) * scale * weight[i] + bias[i];
    }

    /// <summary>
    /// Vectorised; differs from <see cref="Reference"/> only by float summation order (≈1e-6 relative). The
    /// normalise, scale and shift steps are rounded one at a time, as ggml's three separate operations are.
    /// <paramref name="y"/> may be <paramref name="x"/>.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, float eps, Span<float> y)
    {
        int n = x.Length;
        if (n == 0) return;
        if (weight.Length < n || bias.Length < n || y.Length < n) ThrowLengths(n, weight.Length, bias.Length, y.Length);
        y = y[..n];
        Normalize(x, eps, y);
        TensorPrimitives.Multiply(y, weight[..n], y);
        TensorPrimitives.Add(y, bias[..n], y);
    }

    /// <summary>
    /// The first step of <see cref="Forward"/>: x̂ = (x − mean)·r into <paramref name="normalized"/> (at least as long as x; may be
    /// x), returning r = 1/√(var + eps). Training keeps x̂ and r for its backward pass.
    /// </summary>
    public static float Normalize(ReadOnlySpan<float> x, float eps, Span<float> normalized)
    {
        int n = x.Length;
        if (n == 0) return 0;
        normalized = normalized[..n];
        float mean = TensorPrimitives.Sum(x) / n;
        TensorPrimitives.Subtract(x, mean, normalized);
        float scale = 1.0f / MathF.Sqrt(TensorPrimitives.SumOfSquares(normalized) / n + eps);
        TensorPrimitives.Multiply(normalized, scale, normalized);
        return scale;
    }

    private static void ThrowLengths(int n, int weight, int bias, int y) =>
        throw new ArgumentException($"layer norm over {n} channels needs weight, bias and output of {n}, found {weight}, {bias} and {y}");
}
