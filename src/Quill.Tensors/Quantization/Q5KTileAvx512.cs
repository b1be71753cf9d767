// How Q5_K blocks unpack for the shared AVX-512 four-row kernels (ScaleMinTileAvx512); the one-row dot is Q5KBlock.Dot.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// Q5_K's 5-bit quants in the sub-block pairs of <see cref="Q5KBlock"/>'s AVX2 dot (lane j: bytes 4j..4j+3 of every
/// 32-weight sub-block times its scale), so the four-row kernels stay bit for bit <see cref="Q5KBlock.Dot(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> at
/// <see cref="SimdWidth.Vector512"/> (which runs the AVX2 dot).
/// </summary>
internal readonly unsafe struct Q5KTileAvx512 : IScaleMinTileQuants<Q5KTileAvx512>, IKQuantElements
{
    /// <summary>Weight n: Q4_K's nibble, and bit n/32 of qh[n % 32] as bit 4.</summary>
    public static int Quant(byte* x, int n) => ((x[Q5KBlock.QuantsOffset + 32 * (n / 64) + n % 32] >> (4 * (n / 32 % 2))) & 0x0F)
        | (((x[Q5KBlock.HighOffset + n % 32] >> (n / 32)) & 1) << 4);

    public static bool IsSupported => SimdCapability.Best == SimdWidth.Vector512;

    public static int ScalesOffset => Q5KBlock.ScalesOffset;

    public static bool OneMinLane => true;

    public static bool PairOrder => false;

    public static Q5KTileAvx512 Create() => default;

    /// <summary>Sub-blocks 0|2, 1|3, 4|6, 5|7 with their fifth bits: each 64-byte load's low nibbles, then its high nibbles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void UnpackSplit(byte* x, out Vector512<byte> q0, out Vector512<byte> q1, out Vector512<byte> q2, out Vector512<byte> q3)
    {
        // With the high 256 bits shifted right by two, bit s of each byte holds the fifth bit of sub-block s (low 256
        // bits) or s+2 (high): sub-blocks 0|2 at bit 0, 1|3 at bit 1, 4|6 at bit 4, 5|7 at bit 5, each moved to bit 4
        // and masked (16-bit shifts: bits crossing from the neighbouring byte never land on bit 4).
        Vector512<ushort> h = Avx512BW.ShiftRightLogicalVariable(Avx512DQ.BroadcastVector256ToVector512((int*)(x + Q5KBlock.HighOffset)).AsUInt16(),
            Vector512.Create(0UL, 0UL, 0UL, 0UL, 0x0002000200020002UL, 0x0002000200020002UL, 0x0002000200020002UL, 0x0002000200020002UL).AsUInt16());
        Vector512<byte> low4 = Vector512.Create((byte)0x0F), bit4 = Vector512.Create((byte)0x10);
        Vector512<byte> v = Avx512F.LoadVector512(x + Q5KBlock.QuantsOffset);
        // (bits & 0x10) | nibbles
        q0 = Avx512F.TernaryLogic(Avx512BW.ShiftLeftLogical(h, 4).AsByte(), bit4, Avx512F.And(v, low4), 0xEA);
        q1 = Avx512F.TernaryLogic(Avx512BW.ShiftLeftLogical(h, 3).AsByte(), bit4,
            Avx512F.And(Avx512BW.ShiftRightLogical(v.AsUInt16(), 4).AsByte(), low4), 0xEA);
        v = Avx512F.LoadVector512(x + Q5KBlock.QuantsOffset + 64);
        q2 = Avx512F.TernaryLogic(h.AsByte(), bit4, Avx512F.And(v, low4), 0xEA);
        q3 = Avx512F.TernaryLogic(Avx512BW.ShiftRightLogical(h, 1).AsByte(), bit4,
            Avx512F.And(Avx512BW.ShiftRightLogical(v.AsUInt16(), 4).AsByte(), low4), 0xEA);
    }
}
