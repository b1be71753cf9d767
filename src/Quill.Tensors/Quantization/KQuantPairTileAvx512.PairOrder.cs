// The pair tile in llama.cpp's repacked Q4_K order (KQuantPairTileAvx512 for IKQuantPairWeights.PairOrder formats), and its scalar step.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Quill.Tensors.Quantization;

internal static unsafe partial class KQuantPairTileAvx512<TWeights> where TWeights : struct, IKQuantPairWeights
{
    /// <summary>
    /// <see cref="TwoPairs"/> in pair order (<see cref="Q4KBlock.DotPairOrderReference"/>). Each int32 lane holds one
    /// (token t, row k) at 4t + k, as llama.cpp's repacked GEMM keeps a row per lane: per four-weight step one
    /// vpmaddubsw meets the four rows' bytes (16 prepared bytes broadcast to every 128-bit lane) with each token's four
    /// activation bytes (broadcast within its lane by one vpermt2d), the eight steps of a chunk summed in int16 (at most
    /// 8·2·15·128, exact) and then scaled by one vpmaddwd. A sub-block pair's lanes are then its exact sums, which one
    /// FMA adds into the outputs' chains; its min sums go the same way into their own chains.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TwoPairsInPairOrder(byte* g, byte* packed, nint pairStride, int blocks, float* first, float* second, nint strideA,
        nint strideB, byte* prefetch, nint prefetchStride)
    {
        Vector512<float> acc = default, accMin = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* x = g + b * GroupBlockBytes;
            byte* ya = packed + b * PairBlockBytes;
            byte* yb = ya + pairStride;
            if (prefetch != null)
                for (nint l = 0; l < prefetchStride; l += 64) Sse.Prefetch0(prefetch + b * prefetchStride + l);
            // Lane 4t + k: d_k·dy_t and dmin_k·dy_t, the row dot's single products.
            Vector512<float> dy = Avx512F.Shuffle4x128(Vector512.Load((float*)(ya + DyAt)), Vector512.Load((float*)(yb + DyAt)), 0x88);
            Vector512<float> d = Avx512F.BroadcastVector128ToVector512((float*)(x + DAt)) * dy;
            Vector512<float> dmin = Avx512F.PermuteVar16x32(Vector512.Load((float*)(x + DminAt)),
                Vector512.Create(0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12)) * dy;
            // Dword 4t + j: token t's bsum pair sums of sub-blocks 2j, 2j+1; the rows' mins as dwords, row k's pair j at 4k + j.
            Vector512<short> pairSums = Avx512Lanes.Join(Vector256.Load((short*)(ya + PairSumsAt)), Vector256.Load((short*)(yb + PairSumsAt)));
            Vector512<int> mins = Vector512.Load((int*)(x + MinsAt));
            for (int c = 0; c < 4; c++)
            {
                Vector512<int> sums = Avx512F.Add(PairChunk(x, ya, yb, 2 * c), PairChunk(x, ya, yb, 2 * c + 1));
                acc = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(sums), d, acc);
                Vector512<int> rowMins = Avx512F.PermuteVar16x32(mins, Vector512.Create(0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12)
                    + Vector512.Create(c));
                Vector512<int> minSums = Avx512BW.MultiplyAddAdjacent(rowMins.AsInt16(), Avx512F.PermuteVar16x32(pairSums.AsInt32(),
                    Vector512.Create(0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8, 12, 12, 12, 12) + Vector512.Create(c)).AsInt16());
                accMin = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(minSums), dmin, accMin);
            }
        }
        Vector512<float> result = acc - accMin;
        result.GetLower().GetLower().Store(first);
        result.GetLower().GetUpper().Store(first + strideA);
        result.GetUpper().GetLower().Store(second);
        result.GetUpper().GetUpper().Store(second + strideB);
    }

    /// <summary>Chunk m's exact scaled sums, lane 4t + k: Σ scale·q·a over the chunk's 32 weights of row k against token t.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> PairChunk(byte* x, byte* ya, byte* yb, int m) =>
        Avx512BW.MultiplyAddAdjacent(Avx512Lanes.RowLaneSteps(x + 128 * m, Vector512.Load((int*)(ya + 64 * m)), Vector512.Load((int*)(yb + 64 * m))),
            Avx512F.BroadcastVector128ToVector512((int*)(x + ScalesAt + 16 * m)).AsInt16());

    /// <summary>
    /// The scalar pair-order step of one block of one (row, token): for each sub-block pair c, the exact sum of its 64
    /// weights' scale·q·a by <paramref name="d"/> into <paramref name="acc"/>, and its min sum by <paramref name="dmin"/>
    /// into <paramref name="accMin"/>. <paramref name="y"/> is the token's quants in the pair block (chunk m at 64m).
    /// </summary>
    private static void PairOrderBlock(int* q, int* scale, int* mins, float d, float dmin, sbyte* y, short* bsums, ref float acc, ref float accMin)
    {
        for (int c = 0; c < 4; c++)
        {
            int sum = 0;
            for (int j = 64 * c; j < 64 * c + 64; j++) sum += scale[j] * q[j] * y[64 * (j / 32) + j % 32];
            acc = MathF.FusedMultiplyAdd(d, sum, acc);
            accMin = MathF.FusedMultiplyAdd(dmin, PairMinSum(mins, bsums, c), accMin);
        }
    }

    /// <summary>Sub-block pair c's min sum: min[2c]·(bsums[4c] + bsums[4c+1]) + min[2c+1]·(bsums[4c+2] + bsums[4c+3]).</summary>
    private static int PairMinSum(int* mins, short* bsums, int c) =>
        mins[2 * c] * (bsums[4 * c] + bsums[4 * c + 1]) + mins[2 * c + 1] * (bsums[4 * c + 2] + bsums[4 * c + 3]);
}
