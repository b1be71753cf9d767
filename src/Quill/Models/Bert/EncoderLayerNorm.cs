// LayerNorm over the channels of each row, optionally after adding a residual; forward only.
using System.Numerics.Tensors;

namespace Quill.Models.Bert;

/// <summary>y = (x − mean) / √(var + ε) · γ + β per row of C, with the biased variance (as BERT and ONNX compute it).</summary>
public static class EncoderLayerNorm
{
    /// <summary>Normalises <paramref name="x"/> (C) into <paramref name="y"/> (may be the same span).</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float epsilon, Span<float> y)
    {
        int c = x.Length;
        float mean = TensorPrimitives.Sum(x) / c;
        TensorPrimitives.Subtract(x, mean, y);
        float variance = TensorPrimitives.SumOfSquares(y) / c;
        float inverse = 1f / MathF.Sqrt(variance + epsilon);
        TensorPrimitives.Multiply(y, inverse, y);
        TensorPrimitives.FusedMultiplyAdd(y, gamma, beta, y);
    }

    /// <summary>Scalar meaning, in double.</summary>
    public static void Reference(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float epsilon, Span<float> y)
    {
        double mean = 0, variance = 0;
        foreach (float v in x) mean += v;
        mean /= x.Length;
        foreach (float v in x) variance += (v - mean) * (v - mean);
        variance /= x.Length;
        double inverse = 1 / Math.Sqrt(variance + epsilon);
        for (int i = 0; i < x.Length; i++) y[i] = (float)((x[i] - mean) * inverse * gamma[i] + beta[i]);
    }
}
