// Decode-time Q4_0 × Q8_0 dots of four weight rows against one activation row with 512-bit integer work; the generic tile is BlockTileDot.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Quill.Tensors.Quantization;

/// <summary>
/// Two rows share each 512-bit register (row r in the low half, row r+1 in the high half), and the nibbles stay
/// unsigned: lane l of a block is Σ q·y − 8·Σ y over elements 4l..4l+3, the same exact integer ggml's signed
/// mul_sum_i8_pairs gives. Each half then accumulates with the same FMA and reduction order as
/// <see cref="GgmlX86BlockDot"/>, so every output is bit for bit the single-row dot (and llama.cpp's x86 result).
/// </summary>
internal static unsafe class Q4_0RowsAvx512
{
    public static bool IsSupported => Avx512BW.IsSupported && Avx512F.IsSupported && Avx2.IsSupported && Fma.IsSupported;

    /// <summary>Block b of row k at w + b·blockStride + k·wStride: row-major, or interleaved groups of four (18, 72).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(byte* w, nint wStride, nint blockStride, byte* a, int blocks, float* output)
    {
        Vector512<float> acc01 = Vector512<float>.Zero, acc23 = Vector512<float>.Zero;
        Vector512<long> halves = Vector512.Create(0L, 1, 4, 5, 2, 3, 6, 7);
        Vector512<int> lowHigh01 = Vector512.Create(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
        Vector512<int> lowHigh23 = Vector512.Create(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
        Vector512<short> ones16 = Vector512<short>.One;
        for (int b = 0; b < blocks; b++)
        {
            byte* w0 = w + b * blockStride;
            byte* a0 = a + b * Q8_0Block.BlockBytes;
            Vector128<float> d = Fp16Bits.ToSingle(Vector128.Create((uint)*(ushort*)w0, *(ushort*)(w0 + wStride), *(ushort*)(w0 + 2 * wStride),
                *(ushort*)(w0 + 3 * wStride)))
                * Fp16Bits.Load(a0);
            Vector512<float> d16 = d.ToVector256Unsafe().ToVector512Unsafe();

            Vector256<sbyte> y = Vector256.Load((sbyte*)(a0 + 2));
            // 8·Σy per group of four, both halves: the offset that turns unsigned nibble sums into signed (q − 8) sums.
            Vector256<int> ySums = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Vector256.Create((byte)1), y), Vector256<short>.One);
            Vector512<int> offset = Vector512.Create(ySums, ySums) << 3;
            Vector512<sbyte> yy = Vector512.Create(y, y);

            acc01 = Avx512F.FusedMultiplyAdd(Lanes(w0, w0 + wStride, yy, offset, halves, ones16), Avx512F.PermuteVar16x32(d16, lowHigh01), acc01);
            acc23 = Avx512F.FusedMultiplyAdd(Lanes(w0 + 2 * wStride, w0 + 3 * wStride, yy, offset, halves, ones16), Avx512F.PermuteVar16x32(d16, lowHigh23),
                acc23);
        }
        Vector128.Create(GgmlX86BlockDot.HorizontalSum(acc01.GetLower()), GgmlX86BlockDot.HorizontalSum(acc01.GetUpper()),
            GgmlX86BlockDot.HorizontalSum(acc23.GetLower()), GgmlX86BlockDot.HorizontalSum(acc23.GetUpper())).Store(output);
    }

    /// <summary>16 float lanes: the 8 exact group sums of row block <paramref name="r0"/>, then those of <paramref name="r1"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Lanes(byte* r0, byte* r1, Vector512<sbyte> y, Vector512<int> offset, Vector512<long> halves, Vector512<short> ones16)
    {
        Vector256<byte> packed = Vector256.Create(Vector128.Load(r0 + 2), Vector128.Load(r1 + 2));
        Vector256<byte> low = packed & Vector256.Create((byte)0x0F);
        Vector256<byte> high = (packed.AsUInt16() >>> 4).AsByte() & Vector256.Create((byte)0x0F);
        // [r0 low, r1 low | r0 high, r1 high] → [r0 low, r0 high | r1 low, r1 high]
        Vector512<byte> q = Avx512F.PermuteVar8x64(Vector512.Create(low, high).AsInt64(), halves).AsByte();
        Vector512<int> sums = Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q, y), ones16) - offset;
        return Avx512F.ConvertToVector512Single(sums);
    }
}
