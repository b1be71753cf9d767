// RMS normalisation with a learned scale, as ggml_rms_norm followed by ggml_mul: the same sum, scale and products, so the same bits.
using System.Numerics.Tensors;

namespace Quill.Tensors.Kernels;

/// <summary>y = x / sqrt(mean(x²) + eps) * weight, per row of C channels.</summary>
public static class RmsNorm
{
    /// <summary>Scalar meaning: ggml's row sum, scale and the two products, one element at a time.</summary>
    public static void Reference(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++) sum += x[i] * x[i];
        float scale = 1.0f / MathF.Sqrt((float)(sum / x.Length) + eps);
        for (int i = 0; i < x.Length; i++) y[i] = x[i] * scale * weight[i];
    }

    /// <summary>
    /// <see cref="Reference"/>'s bits with vectorised products. The scale is <see cref="InverseRms"/>'s; a float sum of
    /// squares in another order moved it by an ulp often enough that a later Q8_0 activation quant rounded the other
    /// way and a whole 300-token prompt's logits parted from llama.cpp's by 1e-2 relative from one token on.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        float scale = InverseRms(x, eps);
        TensorPrimitives.Multiply(x, scale, y);
        TensorPrimitives.Multiply(y, weight, y);
    }

    /// <summary>
    /// 1 / sqrt(mean(x²) + eps) exactly as ggml_rms_norm forms it: each square rounded to float, summed one after another
    /// in double, the mean rounded to float before eps is added. The double sum is one dependent chain (about three cycles
    /// an element), which no reordering may shorten without changing the bits.
    /// </summary>
    public static float InverseRms(ReadOnlySpan<float> x, float eps)
    {
        double sum = 0;
        foreach (float v in x) sum += v * v;
        return 1.0f / MathF.Sqrt((float)(sum / x.Length) + eps);
    }
}
