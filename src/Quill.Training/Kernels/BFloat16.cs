// bfloat16 held as ushort for the training matmuls: spans of ushort over Quill.Tensors' BF16 rows; not a new conversion.
using System.Runtime.InteropServices;
using Quill.Tensors.Quantization;

namespace Quill.Training.Kernels;

/// <summary>
/// bf16 keeps the top 16 bits of an F32 (sign, 8 exponent bits, 7 mantissa bits). Rounding is ggml's (<see cref="BF16Row"/>):
/// to nearest, ties to even; NaN stays a (quiet) NaN; values past the largest bf16 round to infinity.
/// </summary>
public static class BFloat16
{
    public static ushort RoundReference(float value)
    {
        Span<ushort> result = stackalloc ushort[1];
        BF16Row.QuantizeReference([value], MemoryMarshal.AsBytes(result));
        return result[0];
    }

    public static float ToSingle(ushort value) => BitConverter.Int32BitsToSingle(value << 16);

    /// <summary>destination[i] = RoundReference(source[i]).</summary>
    public static void Round(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (destination.Length < source.Length)
            throw new ArgumentException($"BFloat16: expected a destination of at least {source.Length}, found {destination.Length}");
        BF16Row.Quantize(source, MemoryMarshal.AsBytes(destination[..source.Length]));
    }

    /// <summary>destination[i] = ToSingle(source[i]).</summary>
    public static void Widen(ReadOnlySpan<ushort> source, Span<float> destination) =>
        BF16Row.Dequantize(MemoryMarshal.AsBytes(source), destination[..source.Length]);
}
