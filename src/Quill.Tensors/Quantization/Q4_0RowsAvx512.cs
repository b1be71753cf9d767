// Decode-time Q4_0 × Q8_0 dots of four weight rows against one activation row with 512-bit integer work, in llama.cpp's repacked order.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Quill.Tensors.Quantization;

/// <summary>
/// <see cref="Q4_0Avx2.Reference"/>'s order (per block acc = fma(float(Σ (q − 8)·y), d_w·d_a, acc), llama.cpp's repacked
/// Q4_0), which the AVX-512 pair tile also takes, so a token decodes as it would in a batch. The four rows' 16-byte
/// nibble runs share one 512-bit register (row r in 128-bit lane r) and stay unsigned: the low nibbles (elements 0..15)
/// meet the activation's first 16 bytes broadcast to every lane, the high nibbles (16..31) its last 16, and 8·y is taken
/// off each product pair; two in-lane shuffles then sum each row's lane to its block total, which the FMA takes in every
/// element of the lane. The block scales are widened through <see cref="Fp16Table"/>.
/// </summary>
internal static unsafe class Q4_0RowsAvx512
{
    public static bool IsSupported => Avx512BW.IsSupported && Avx512F.IsSupported && Avx2.IsSupported && Fma.IsSupported;

    /// <summary>Block b of row k at w + b·blockStride + k·wStride: row-major, or interleaved groups of four (18, 72).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(byte* w, nint wStride, nint blockStride, byte* a, int blocks, float* output)
    {
        bool prefetch = DecodePrefetch.Enabled;
        float* table = Fp16Table.Values;
        Vector512<float> acc = Vector512<float>.Zero;
        Vector512<byte> nibble = Vector512.Create((byte)0x0F), eights = Vector512.Create((byte)8);
        Vector512<short> ones16 = Vector512<short>.One;
        Vector512<int> spread = Vector512.Create(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
        for (int b = 0; b < blocks; b++)
        {
            byte* w0 = w + b * blockStride, w1 = w0 + wStride, w2 = w1 + wStride, w3 = w2 + wStride;
            byte* a0 = a + b * Q8_0Block.BlockBytes;
            DecodePrefetch.Ahead(prefetch, w0, Q4_0Block.BlockBytes);
            Vector128<float> d = Vector128.Create(table[*(ushort*)w0], table[*(ushort*)w1], table[*(ushort*)w2], table[*(ushort*)w3])
                * table[*(ushort*)a0];
            Vector512<float> dLanes = Avx512F.PermuteVar16x32(d.ToVector256Unsafe().ToVector512Unsafe(), spread);

            Vector512<byte> q = Avx512Lanes.Join(Vector256.Create(Vector128.Load(w0 + 2), Vector128.Load(w1 + 2)),
                Vector256.Create(Vector128.Load(w2 + 2), Vector128.Load(w3 + 2)));
            Vector512<byte> low = q & nibble;
            Vector512<byte> high = (q.AsUInt16() >>> 4).AsByte() & nibble;
            Vector512<sbyte> yLow = Avx512F.BroadcastVector128ToVector512((int*)(a0 + 2)).AsSByte();
            Vector512<sbyte> yHigh = Avx512F.BroadcastVector128ToVector512((int*)(a0 + 18)).AsSByte();
            // (q_a − 8)·y_a + (q_b − 8)·y_b per pair, within ±2,048, low and high together within ±4,096, then groups of eight.
            Vector512<short> pairs = Avx512BW.MultiplyAddAdjacent(low, yLow) - Avx512BW.MultiplyAddAdjacent(eights, yLow)
                + Avx512BW.MultiplyAddAdjacent(high, yHigh) - Avx512BW.MultiplyAddAdjacent(eights, yHigh);
            Vector512<int> sums = Avx512BW.MultiplyAddAdjacent(pairs, ones16);
            // Each row's block total in every element of its lane.
            sums += Avx512F.Shuffle(sums, 0x4E);
            sums += Avx512F.Shuffle(sums, 0xB1);
            acc = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(sums), dLanes, acc);
        }
        Avx512F.PermuteVar16x32(acc, Vector512.Create(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).GetLower().GetLower().Store(output);
    }
}
