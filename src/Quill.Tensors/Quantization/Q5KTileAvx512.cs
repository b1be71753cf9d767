// How Q5_K blocks unpack for the shared AVX-512 four-row kernels (ScaleMinTileAvx512); the one-row dot is Q5KBlock.Dot.
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// Q5_K's 5-bit quants in the sub-block pairs of <see cref="Q5KBlock"/>'s AVX2 dot (lane j: bytes 4j..4j+3 of every
/// 32-weight sub-block times its scale), so the four-row kernels stay bit for bit <see cref="Q5KBlock.Dot(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> at
/// <see cref="SimdWidth.Vector512"/> (which runs the AVX2 dot). Holds the qh shifts 2k | 2k+1.
/// </summary>
internal readonly unsafe struct Q5KTileAvx512 : IScaleMinTileQuants<Q5KTileAvx512>, IKQuantElements
{
    /// <summary>Weight n: Q4_K's nibble, and bit n/32 of qh[n % 32] as bit 4.</summary>
    public static int Quant(byte* x, int n) => ((x[Q5KBlock.QuantsOffset + 32 * (n / 64) + n % 32] >> (4 * (n / 32 % 2))) & 0x0F)
        | (((x[Q5KBlock.HighOffset + n % 32] >> (n / 32)) & 1) << 4);

    private readonly Vector512<ushort> _shift0, _shift1, _shift2, _shift3;

    private Q5KTileAvx512(bool _)
    {
        _shift0 = HalfShifts(0);
        _shift1 = HalfShifts(2);
        _shift2 = HalfShifts(4);
        _shift3 = HalfShifts(6);
    }

    public static bool IsSupported => SimdCapability.Best == SimdWidth.Vector512;

    public static int ScalesOffset => Q5KBlock.ScalesOffset;

    public static Q5KTileAvx512 Create() => new(true);

    /// <summary>Sub-blocks 0|1, 2|3, 4|5, 6|7 with their fifth bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Unpack(byte* x, out Vector512<byte> q0, out Vector512<byte> q1, out Vector512<byte> q2, out Vector512<byte> q3)
    {
        // qh bit s of byte l is bit 4 of weight 32s + l; shifting the low 256 bits by 2c and the high by 2c+1 brings the
        // bits of sub-blocks 2c and 2c+1 to bit 0 (bits shifted in from the neighbouring byte stay above bit 0).
        Vector512<ushort> h = Avx512DQ.BroadcastVector256ToVector512((int*)(x + Q5KBlock.HighOffset)).AsUInt16();
        Vector512<byte> v = Avx512F.LoadVector512(x + Q5KBlock.QuantsOffset);
        q0 = Quants(v, h, _shift0, 0x44);
        q1 = Quants(v, h, _shift1, 0xEE);
        v = Avx512F.LoadVector512(x + Q5KBlock.QuantsOffset + 64);
        q2 = Quants(v, h, _shift2, 0x44);
        q3 = Quants(v, h, _shift3, 0xEE);
    }

    private static Vector512<ushort> HalfShifts(int s) => Vector512.Create(Vector256.Create((ushort)s), Vector256.Create((ushort)(s + 1)));

    /// <summary>Sub-blocks 2c (low nibbles of one 32-byte chunk of v) and 2c+1 (its high nibbles) with their fifth bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Quants(Vector512<byte> v, Vector512<ushort> h, Vector512<ushort> shift, [ConstantExpected] byte control)
    {
        Vector512<byte> low4 = Vector512.Create((byte)0x0F), one = Vector512.Create((byte)0x01);
        Vector512<byte> lo = Avx512F.And(v, low4);
        Vector512<byte> hi = Avx512F.And(Avx512BW.ShiftRightLogical(v.AsUInt16(), 4).AsByte(), low4);
        Vector512<byte> bit = Avx512F.And(Avx512BW.ShiftRightLogicalVariable(h, shift).AsByte(), one);
        return Avx512F.Or(Q4KBlock.Pair(lo, hi, control), Avx512BW.ShiftLeftLogical(bit.AsUInt16(), 4).AsByte());
    }
}
