// bfloat16 as ushort: F32 → bf16 by round-to-nearest-even, bf16 → F32 by a shift; not an arithmetic type.
using System.Runtime.Intrinsics;

namespace Quill.Training.Kernels;

/// <summary>
/// bf16 keeps the top 16 bits of an F32 (sign, 8 exponent bits, 7 mantissa bits). Rounding is to nearest, ties to even;
/// NaN stays a (quiet) NaN; values past the largest bf16 round to infinity as IEEE rounding does.
/// </summary>
public static class BFloat16
{
    public static ushort RoundReference(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    public static float ToSingle(ushort value) => BitConverter.Int32BitsToSingle(value << 16);

    /// <summary>destination[i] = RoundReference(source[i]).</summary>
    public static void Round(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (destination.Length < source.Length)
            throw new ArgumentException($"BFloat16: expected a destination of at least {source.Length}, found {destination.Length}");
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 16 <= source.Length; i += 16)
            {
                var lo = RoundEight(Vector256.Create(source.Slice(i, 8)));
                var hi = RoundEight(Vector256.Create(source.Slice(i + 8, 8)));
                Vector256.Narrow(lo, hi).CopyTo(destination.Slice(i, 16));
            }
        }
        for (; i < source.Length; i++) destination[i] = RoundReference(source[i]);
    }

    private static Vector256<uint> RoundEight(Vector256<float> v)
    {
        var bits = v.AsUInt32();
        var rounded = (bits + Vector256.Create(0x7FFFu) + ((bits >> 16) & Vector256.Create(1u))) >> 16;
        var nan = ~Vector256.Equals(v, v).AsUInt32();
        return Vector256.ConditionalSelect(nan, (bits >> 16) | Vector256.Create(0x40u), rounded);
    }

    /// <summary>destination[i] = ToSingle(source[i]).</summary>
    public static void Widen(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        for (int i = 0; i < source.Length; i++) destination[i] = ToSingle(source[i]);
    }
}
