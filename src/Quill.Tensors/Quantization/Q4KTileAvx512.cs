// How Q4_K blocks unpack for the shared AVX-512 four-row kernels (ScaleMinTileAvx512); the one-row dot is Q4KBlock.Dot.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// Q4_K's 4-bit quants, split exactly as <see cref="Q4KBlock"/>'s AVX-512 dot splits them, so the four-row kernels stay
/// bit for bit <see cref="Q4KBlock.Dot(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> at <see cref="SimdWidth.Vector512"/>.
/// </summary>
internal readonly unsafe struct Q4KTileAvx512 : IScaleMinTileQuants<Q4KTileAvx512>, IKQuantElements
{
    /// <summary>Weight n: sub-block n/32 is the low (even) or high (odd) nibbles of chunk n/64.</summary>
    public static int Quant(byte* x, int n) => (x[Q4KBlock.QuantsOffset + 32 * (n / 64) + n % 32] >> (4 * (n / 32 % 2))) & 0x0F;

    public static bool IsSupported => SimdCapability.Best == SimdWidth.Vector512;

    public static int ScalesOffset => Q4KBlock.ScalesOffset;

    public static bool OneMinLane => false;

    public static bool PairOrder => true;

    public static Q4KTileAvx512 Create() => default;

    /// <summary>Sub-blocks 0|2, 1|3, 4|6, 5|7: each 64-byte load's low nibbles, then its high nibbles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void UnpackSplit(byte* x, out Vector512<byte> q0, out Vector512<byte> q1, out Vector512<byte> q2, out Vector512<byte> q3)
    {
        Vector512<byte> low4 = Vector512.Create((byte)0x0F);
        Vector512<byte> v = Avx512F.LoadVector512(x + Q4KBlock.QuantsOffset);
        q0 = Avx512F.And(v, low4);
        q1 = Avx512F.And(Avx512BW.ShiftRightLogical(v.AsUInt16(), 4).AsByte(), low4);
        v = Avx512F.LoadVector512(x + Q4KBlock.QuantsOffset + 64);
        q2 = Avx512F.And(v, low4);
        q3 = Avx512F.And(Avx512BW.ShiftRightLogical(v.AsUInt16(), 4).AsByte(), low4);
    }
}
