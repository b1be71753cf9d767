// GELU in its tanh approximation (GPT-2's "gelu_new", ggml_gelu), exact or rounded through F16 as ggml's CPU backend; forward only.
using System.Numerics.Tensors;

namespace Quill.Tensors.Kernels;

/// <summary>
/// gelu(x) = 0.5·x·(1 + tanh(√(2/π)·x·(1 + 0.044715·x²))), in place over a span. Two precisions:
/// <see cref="Forward"/> evaluates the formula in float; <see cref="ForwardRounded"/> does what ggml-cpu does with
/// GGML_GELU_FP16 (always defined there): x ≤ −10 gives 0, x ≥ 10 gives x, anything else is rounded to F16, looked up
/// in a table of the formula's F16-rounded values and widened back. llama.cpp's GPT-2 and BERT graphs use the latter, so
/// models that must match llama.cpp logit for logit use it too.
/// </summary>
public static class GeluTanh
{
    private const float CoefA = 0.044715f;
    private const float SqrtTwoOverPi = 0.79788456080286535587989211986876f;
    private const float Clamp = 10.0f;
    private const int Chunk = 256;

    // gelu of every F16 value, rounded to F16 and stored widened to float; indexed by the F16 bit pattern (256 KB).
    private static readonly float[] Table = BuildTable();

    /// <summary>The formula for one value, with ggml_gelu_f32's order of float operations.</summary>
    public static float Reference(float x) => 0.5f * x * (1.0f + MathF.Tanh(SqrtTwoOverPi * x * (1.0f + CoefA * x * x)));

    /// <summary>Scalar meaning of <see cref="Forward"/>.</summary>
    public static void Reference(Span<float> x)
    {
        for (int i = 0; i < x.Length; i++) x[i] = Reference(x[i]);
    }

    /// <summary>Scalar meaning of <see cref="ForwardRounded"/>: ggml_vec_gelu_f32 with GGML_GELU_FP16.</summary>
    public static void RoundedReference(Span<float> x)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            x[i] = v <= -Clamp ? 0.0f : v >= Clamp ? v : (float)(Half)Reference((float)(Half)v);
        }
    }

    /// <summary>The formula vectorised through TensorPrimitives' tanh; within a few ulp of <see cref="Reference(Span{float})"/>.</summary>
    public static void Forward(Span<float> x)
    {
        Span<float> inner = stackalloc float[Chunk];
        for (int i = 0; i < x.Length; i += Chunk)
        {
            int n = Math.Min(Chunk, x.Length - i);
            var v = x.Slice(i, n);
            var t = inner[..n];
            TensorPrimitives.Multiply(v, v, t);          // x²
            TensorPrimitives.Multiply(t, CoefA, t);
            TensorPrimitives.Add(t, 1.0f, t);            // 1 + a·x²
            TensorPrimitives.Multiply(t, v, t);
            TensorPrimitives.Multiply(t, SqrtTwoOverPi, t);
            TensorPrimitives.Tanh(t, t);
            TensorPrimitives.Add(t, 1.0f, t);
            TensorPrimitives.Multiply(v, t, v);
            TensorPrimitives.Multiply(v, 0.5f, v);
        }
    }

    /// <summary>
    /// ggml-cpu's GELU, bit for bit equal to <see cref="RoundedReference"/>: the float-to-F16 rounding (round to nearest
    /// even) is vectorised, the table lookup and the clamps are a scalar pass over the chunk.
    /// </summary>
    public static void ForwardRounded(Span<float> x)
    {
        Span<Half> halves = stackalloc Half[Chunk];
        var table = Table;
        for (int i = 0; i < x.Length; i += Chunk)
        {
            int n = Math.Min(Chunk, x.Length - i);
            var v = x.Slice(i, n);
            var h = halves[..n];
            TensorPrimitives.ConvertToHalf(v, h);
            for (int j = 0; j < v.Length; j++)
            {
                float value = v[j];
                v[j] = value <= -Clamp ? 0.0f : value >= Clamp ? value : table[BitConverter.HalfToUInt16Bits(h[j])];
            }
        }
    }

    private static float[] BuildTable()
    {
        var table = new float[1 << 16];
        for (int bits = 0; bits < table.Length; bits++)
            table[bits] = (float)(Half)Reference((float)BitConverter.UInt16BitsToHalf((ushort)bits));
        return table;
    }
}
