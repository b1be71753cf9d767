// ggml's F32 rows as weights dotted with F32 activations; "dequantize" and "quantize" are byte copies. Not a
// general BLAS: one row at a time.
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>F32: one little-endian float per element.</summary>
public static class F32Row
{
    private const string Name = "F32";

    /// <summary>Copies the row's floats.</summary>
    public static void DequantizeReference(ReadOnlySpan<byte> source, Span<float> destination) =>
        Floats(source, destination.Length, nameof(source)).CopyTo(destination);

    /// <summary>Same as <see cref="DequantizeReference"/> (a copy is already as fast as it gets).</summary>
    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination) => DequantizeReference(source, destination);

    /// <summary>Copies the floats' bytes.</summary>
    public static void QuantizeReference(ReadOnlySpan<float> source, Span<byte> destination)
    {
        RowLength.Expect(destination.Length, source.Length * sizeof(float), Name, nameof(destination));
        MemoryMarshal.AsBytes(source).CopyTo(destination);
    }

    /// <summary>Same as <see cref="QuantizeReference"/>.</summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination) => QuantizeReference(source, destination);

    /// <summary>Scalar dot: float products summed in double (ggml_vec_dot_f32's order).</summary>
    public static float DotReference(ReadOnlySpan<byte> weightRow, ReadOnlySpan<byte> activationRow)
    {
        ReadOnlySpan<float> x = Floats(activationRow, activationRow.Length / sizeof(float), nameof(activationRow));
        ReadOnlySpan<float> w = Floats(weightRow, x.Length, nameof(weightRow));
        double sum = 0;
        for (int i = 0; i < w.Length; i++)
        {
            sum += w[i] * x[i];
        }

        return (float)sum;
    }

    /// <summary>SIMD <see cref="DotReference"/>; equal within <see cref="QuantTolerances.DotRelative"/>.</summary>
    public static float Dot(ReadOnlySpan<byte> weightRow, ReadOnlySpan<byte> activationRow) =>
        Dot(weightRow, activationRow, SimdCapability.Best);

    internal static unsafe float Dot(ReadOnlySpan<byte> weightRow, ReadOnlySpan<byte> activationRow, SimdWidth width)
    {
        if (width == SimdWidth.Scalar)
        {
            return DotReference(weightRow, activationRow);
        }

        ReadOnlySpan<float> x = Floats(activationRow, activationRow.Length / sizeof(float), nameof(activationRow));
        ReadOnlySpan<float> w = Floats(weightRow, x.Length, nameof(weightRow));
        fixed (float* pw = w)
        fixed (float* px = x)
        {
            return Dot(pw, px, w.Length, width);
        }
    }

    /// <summary>
    /// One accumulator of the width's lanes, a fused multiply-add per chunk in order, then the halving reduction (upper
    /// half plus lower half down to one lane) and a scalar tail: for lengths that are a multiple of the lanes, llama.cpp's
    /// tinyBLAS F32 matmul order bit for bit (one accumulator per output, <c>hsum</c> / <c>_mm512_reduce_add_ps</c>).
    /// Followed exactly so an F16 KV cache, which rounds q, keys, values and probabilities to F16, rounds the same values
    /// as llama.cpp: a one-ulp difference there becomes 2^-11.
    /// </summary>
    private static unsafe float Dot(float* w, float* x, int count, SimdWidth width)
    {
        int i = 0;
        float sum = 0;
        if (width == SimdWidth.Vector512)
        {
            Vector512<float> acc = Vector512<float>.Zero;
            for (; i + 16 <= count; i += 16)
            {
                acc = Vector512.FusedMultiplyAdd(Vector512.Load(w + i), Vector512.Load(x + i), acc);
            }

            sum = GgmlX86BlockDot.HorizontalSum(acc.GetUpper() + acc.GetLower());
        }
        else if (width == SimdWidth.Vector256)
        {
            Vector256<float> acc = Vector256<float>.Zero;
            for (; i + 8 <= count; i += 8)
            {
                acc = Vector256.FusedMultiplyAdd(Vector256.Load(w + i), Vector256.Load(x + i), acc);
            }

            sum = GgmlX86BlockDot.HorizontalSum(acc);
        }
        else
        {
            Vector128<float> acc0 = Vector128<float>.Zero, acc1 = Vector128<float>.Zero;
            for (; i + 8 <= count; i += 8)
            {
                acc0 = Vector128.MultiplyAddEstimate(Vector128.Load(w + i), Vector128.Load(x + i), acc0);
                acc1 = Vector128.MultiplyAddEstimate(Vector128.Load(w + i + 4), Vector128.Load(x + i + 4), acc1);
            }

            sum = Vector128.Sum(acc0 + acc1);
        }

        for (; i < count; i++)
        {
            sum += w[i] * x[i];
        }

        return sum;
    }

    private static ReadOnlySpan<float> Floats(ReadOnlySpan<byte> row, int expected, string parameter)
    {
        int count = RowLength.Count(row.Length, sizeof(float), Name, parameter);
        RowLength.Expect(count, expected, Name, parameter);
        return MemoryMarshal.Cast<byte, float>(row);
    }
}
