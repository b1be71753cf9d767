// How Q3_K blocks unpack for the shared AVX-512 four-row kernels (OffsetTileAvx512); the one-row dot is Q3KBlock.Dot.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// Q3_K's unsigned 3-bit quants and signed 6-bit scales in the lanes of <see cref="Q3KBlock"/>'s AVX2 dot (lane j: bytes
/// 4j..4j+3 of every 32-weight chunk times its 16-weight group's scale, the −4 offset taken off each pair sum), so the
/// four-row kernels stay bit for bit <see cref="Q3KBlock.Dot(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> at <see cref="SimdWidth.Vector512"/> (which runs the
/// AVX2 dot).
/// </summary>
internal readonly unsafe struct Q3KTileAvx512 : IOffsetTileQuants<Q3KTileAvx512>
{
    public static bool IsSupported => SimdCapability.Best == SimdWidth.Vector512;

    public static int DeltaOffset => Q3KBlock.DeltaOffset;

    public static byte OffsetShift => 2;

    public static bool OffsetPerPair => true;

    public static Q3KTileAvx512 Create() => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<short> Scales(byte* x)
    {
        Vector128<byte> sc = Sse2.Subtract(KQuant.UnpackQ3Scales(x + Q3KBlock.ScalesOffset), Vector128.Create((byte)32));
        return Avx2.ConvertToVector256Int16(sc.AsSByte());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Unpack(byte* x, out Vector512<byte> q0, out Vector512<byte> q1, out Vector512<byte> q2, out Vector512<byte> q3)
    {
        Vector512<ushort> h = Avx512DQ.BroadcastVector256ToVector512((int*)x).AsUInt16();
        Half(x + Q3KBlock.QuantsOffset, h, out q0, out q1);
        // Bits shifted in from the neighbouring byte land in bits 4..7 and never reach bit 2 after the shifts below.
        Half(x + Q3KBlock.QuantsOffset + 32, Avx512BW.ShiftRightLogical(h, 4), out q2, out q3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ushort> Shifts(ulong low, ulong high) =>
        Vector512.Create(low * 0x0001000100010001UL, low * 0x0001000100010001UL, low * 0x0001000100010001UL, low * 0x0001000100010001UL,
            high * 0x0001000100010001UL, high * 0x0001000100010001UL, high * 0x0001000100010001UL, high * 0x0001000100010001UL).AsUInt16();

    /// <summary>
    /// One 128-weight half from 32 bytes of 2-bit pairs and the hmask bits 0..3 of h: q01 holds weights 0..31 | 32..63 of
    /// the half (bit pairs 0, 1; hmask bits 0, 1), q23 weights 64..95 | 96..127 (bit pairs 2, 3; hmask bits 2, 3).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Half(byte* qs, Vector512<ushort> h, out Vector512<byte> q01, out Vector512<byte> q23)
    {
        Vector512<byte> three = Vector512.Create((byte)3), four = Vector512.Create((byte)4);
        Vector512<ushort> v = Avx512DQ.BroadcastVector256ToVector512((int*)qs).AsUInt16();
        q01 = Avx512F.Or(Avx512F.And(Avx512BW.ShiftRightLogicalVariable(v, Shifts(0, 2)).AsByte(), three),
            Avx512F.And(Avx512BW.ShiftLeftLogicalVariable(h, Shifts(2, 1)).AsByte(), four));
        q23 = Avx512F.Or(Avx512F.And(Avx512BW.ShiftRightLogicalVariable(v, Shifts(4, 6)).AsByte(), three),
            Avx512F.And(Avx512BW.ShiftRightLogicalVariable(h, Shifts(0, 1)).AsByte(), four));
    }
}
