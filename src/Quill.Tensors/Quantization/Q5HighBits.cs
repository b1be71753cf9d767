// Spreads the 32 fifth bits (qh) of a Q5_0 / Q5_1 block into one byte per element.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Quill.Tensors.Quantization;

/// <summary>Byte j of the result is 0x10 when bit j of qh is set, else 0 (ggml's bytes_from_bits_32, shifted to bit 4).</summary>
internal static class Q5HighBits
{
    /// <summary>Elements 0..15 (qh bits 0..15).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Low(uint qh) =>
        Spread(Vector128.Shuffle(Vector128.Create(qh).AsByte(), Vector128.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1)));

    /// <summary>Elements 16..31 (qh bits 16..31).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> High(uint qh) =>
        Spread(Vector128.Shuffle(Vector128.Create(qh).AsByte(), Vector128.Create((byte)2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3)));

    /// <summary>All 32 elements; AVX2 only (an in-lane shuffle of the broadcast qh).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> All(uint qh)
    {
        Vector256<byte> bytes = Avx2.Shuffle(Vector256.Create(qh).AsByte(), Vector256.Create(
            (byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
        Vector256<byte> bit = Vector256.Create((byte)1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128,
            1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);
        return Vector256.Equals(bytes & bit, bit) & Vector256.Create((byte)0x10);
    }

    /// <summary>Scalar: the 5-bit value of element <paramref name="j"/> from the nibbles at <paramref name="qs"/> and bit j of qh.</summary>
    public static unsafe int Quant(byte* qs, uint qh, int j) =>
        (j < 16 ? qs[j] & 0x0F : qs[j - 16] >> 4) | (int)((qh >> j) & 1) << 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Spread(Vector128<byte> bytes)
    {
        Vector128<byte> bit = Vector128.Create((byte)1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);
        return Vector128.Equals(bytes & bit, bit) & Vector128.Create((byte)0x10);
    }
}
