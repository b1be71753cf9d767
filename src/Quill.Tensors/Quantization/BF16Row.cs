// ggml's BF16 rows (bfloat16) as weights dotted with F32 activations, expanded to floats and rounded from floats
// bit-exact with ggml; not the shared loops (HalfWidthRow).
using System.Runtime.InteropServices;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>BF16: one little-endian 16-bit bfloat16 per element. Activations for the dot are F32 (the bytes of a float[]).</summary>
public static class BF16Row
{
    private const string Name = "BF16";

    /// <summary>Scalar BF16 to F32 (exact).</summary>
    public static void DequantizeReference(ReadOnlySpan<byte> source, Span<float> destination)
    {
        ReadOnlySpan<ushort> bits = Elements(source, destination.Length);
        for (int i = 0; i < bits.Length; i++)
        {
            destination[i] = Bf16Bits.ToSingle(bits[i]);
        }
    }

    /// <summary>SIMD <see cref="DequantizeReference"/>, identical results.</summary>
    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination) =>
        Dequantize(source, destination, SimdCapability.Best);

    internal static unsafe void Dequantize(ReadOnlySpan<byte> source, Span<float> destination, SimdWidth width)
    {
        if (width == SimdWidth.Scalar)
        {
            DequantizeReference(source, destination);
            return;
        }

        ReadOnlySpan<ushort> bits = Elements(source, destination.Length);
        fixed (ushort* w = bits)
        fixed (float* y = destination)
        {
            HalfWidthRow<Bf16Float>.Dequantize(w, y, bits.Length, width);
        }
    }

    /// <summary>Scalar F32 to BF16, to nearest even with NaN kept quiet (ggml_compute_fp32_to_bf16).</summary>
    public static void QuantizeReference(ReadOnlySpan<float> source, Span<byte> destination)
    {
        RowLength.Expect(destination.Length, source.Length * 2, Name, nameof(destination));
        Span<ushort> bits = MemoryMarshal.Cast<byte, ushort>(destination);
        for (int i = 0; i < source.Length; i++)
        {
            bits[i] = Bf16Bits.FromSingle(source[i]);
        }
    }

    /// <summary>SIMD <see cref="QuantizeReference"/>, identical bytes.</summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination) =>
        Quantize(source, destination, SimdCapability.Best);

    internal static unsafe void Quantize(ReadOnlySpan<float> source, Span<byte> destination, SimdWidth width)
    {
        if (width == SimdWidth.Scalar)
        {
            QuantizeReference(source, destination);
            return;
        }

        RowLength.Expect(destination.Length, source.Length * 2, Name, nameof(destination));
        fixed (float* x = source)
        fixed (byte* w = destination)
        {
            HalfWidthRow<Bf16Float>.Quantize(x, (ushort*)w, source.Length, width);
        }
    }

    /// <summary>Scalar dot of a BF16 weight row with F32 activations: float products summed in double (ggml_vec_dot_bf16's order).</summary>
    public static float DotReference(ReadOnlySpan<byte> weightRow, ReadOnlySpan<byte> activationRow)
    {
        ReadOnlySpan<float> x = Activations(activationRow);
        return HalfWidthRow<Bf16Float>.DotReference(Elements(weightRow, x.Length), x);
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

        ReadOnlySpan<float> activations = Activations(activationRow);
        ReadOnlySpan<ushort> weights = Elements(weightRow, activations.Length);
        fixed (ushort* w = weights)
        fixed (float* x = activations)
        {
            return HalfWidthRow<Bf16Float>.Dot(w, x, weights.Length, width);
        }
    }

    private static ReadOnlySpan<ushort> Elements(ReadOnlySpan<byte> row, int expected)
    {
        int count = RowLength.Count(row.Length, 2, Name, nameof(row));
        RowLength.Expect(count, expected, Name, nameof(row));
        return MemoryMarshal.Cast<byte, ushort>(row);
    }

    private static ReadOnlySpan<float> Activations(ReadOnlySpan<byte> row)
    {
        RowLength.Count(row.Length, sizeof(float), Name, "activationRow");
        return MemoryMarshal.Cast<byte, float>(row);
    }
}
