// How Q6_K blocks unpack for the shared AVX-512 four-row kernels (OffsetTileAvx512); the one-row dot is Q6KBlock.Dot.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// Q6_K's unsigned 6-bit quants and int8 scales exactly as <see cref="Q6KBlock"/>'s AVX-512 dot forms them (the −32
/// offset removed through the bsums), so the four-row kernels stay bit for bit <see cref="Q6KBlock.Dot(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> at
/// <see cref="SimdWidth.Vector512"/>.
/// </summary>
internal readonly unsafe struct Q6KTileAvx512 : IOffsetTileQuants<Q6KTileAvx512>, IKQuantElements
{
    /// <summary>
    /// Weight n (half n/128, quarter i/32 of it, l = n % 32): the low nibble of ql[64·half + l] (quarters 0, 1 at
    /// +0, +32) or its high nibble (quarters 2, 3), and bits 2·quarter of qh[32·half + l] as bits 4..5; unsigned 0..63.
    /// </summary>
    public static int Quant(byte* x, int n)
    {
        int half = n / 128, quarter = n % 128 / 32, l = n % 32;
        int low = (x[64 * half + l + 32 * (quarter & 1)] >> (4 * (quarter >> 1))) & 0x0F;
        return low | (((x[Q6KBlock.HighOffset + 32 * half + l] >> (2 * quarter)) & 3) << 4);
    }

    public static bool IsSupported => SimdCapability.Best == SimdWidth.Vector512;

    public static int DeltaOffset => Q6KBlock.DeltaOffset;

    public static byte OffsetShift => 5;

    public static bool OffsetPerPair => false;

    public static Q6KTileAvx512 Create() => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<short> Scales(byte* x) => Avx2.ConvertToVector256Int16((sbyte*)(x + Q6KBlock.ScalesOffset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Unpack(byte* x, out Vector512<byte> q0, out Vector512<byte> q1, out Vector512<byte> q2, out Vector512<byte> q3)
    {
        Half(x, x + Q6KBlock.HighOffset, out q0, out q1);
        Half(x + 64, x + Q6KBlock.HighOffset + 32, out q2, out q3);
    }

    /// <summary>One 128-weight half: q12 holds weights 0..31 | 32..63 of the half, q34 weights 64..95 | 96..127.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Half(byte* ql, byte* qh, out Vector512<byte> q12, out Vector512<byte> q34)
    {
        Vector512<byte> low4 = Vector512.Create((byte)0x0F);
        // The row dot's masks and shifts: bits 0..1 (low 256) or 2..3 (high) of qh to bits 4..5, and bits 4..5 or 6..7.
        Vector512<byte> maskA = Halves(0x0303030303030303UL, 0x0C0C0C0C0C0C0C0CUL).AsByte();
        Vector512<byte> maskB = Halves(0x3030303030303030UL, 0xC0C0C0C0C0C0C0C0UL).AsByte();
        Vector512<ushort> shiftA = Halves(0x0004000400040004UL, 0x0002000200020002UL).AsUInt16();
        Vector512<ushort> shiftB = Halves(0UL, 0x0002000200020002UL).AsUInt16();
        Vector512<byte> l = Avx512F.LoadVector512(ql);
        Vector512<byte> h = Avx512DQ.BroadcastVector256ToVector512((int*)qh).AsByte();
        // (a & 0x0F) | b as one vpternlogd (0xEA).
        q12 = Avx512F.TernaryLogic(l, low4, Avx512BW.ShiftLeftLogicalVariable(Avx512F.And(h, maskA).AsUInt16(), shiftA).AsByte(), 0xEA);
        q34 = Avx512F.TernaryLogic(Avx512BW.ShiftRightLogical(l.AsUInt16(), 4).AsByte(), low4,
            Avx512BW.ShiftRightLogicalVariable(Avx512F.And(h, maskB).AsUInt16(), shiftB).AsByte(), 0xEA);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Halves(ulong low, ulong high) => Vector512.Create(low, low, low, low, high, high, high, high);
}
