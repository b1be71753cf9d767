// The pair tile in llama.cpp's repacked Q4_K order (KQuantPairTileAvx512 for IKQuantPairWeights.PairOrder formats), and its scalar step.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Quill.Tensors.Quantization;

internal static unsafe partial class KQuantPairTileAvx512<TWeights> where TWeights : struct, IKQuantPairWeights
{
    /// <summary>
    /// <see cref="TwoPairs"/> in pair order (<see cref="Q4KBlock.DotPairOrderReference"/>): per block and sub-block pair
    /// c, the two chunks' lanes of each (row, token) are folded to one exact integer, the sixteen of them in one vector
    /// (lane 4t + k: token t, row k), which one FMA adds into the outputs' chains; the min sums of pair c go the same way
    /// into their own chains. Tokens 0, 1 are the first pair's, 2, 3 the second's.
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
                Vector512<int> i0a = default, i1a = default, i2a = default, i3a = default;
                Vector512<int> i0b = default, i1b = default, i2b = default, i3b = default;
                for (int m = 2 * c; m < 2 * c + 2; m++)
                {
                    Vector512<sbyte> qa = Vector512.Load((sbyte*)(ya + 64 * m)), qb = Vector512.Load((sbyte*)(yb + 64 * m));
                    byte* xq = x + 32 * m;
                    Chunk(xq, qa, qb, ref i0a, ref i0b);
                    Chunk(xq + RowBytes, qa, qb, ref i1a, ref i1b);
                    Chunk(xq + 2 * RowBytes, qa, qb, ref i2a, ref i2b);
                    Chunk(xq + 3 * RowBytes, qa, qb, ref i3a, ref i3b);
                }
                Vector512<int> sums = Avx512Lanes.SumFours(ByToken(i0a, i0b), ByToken(i1a, i1b), ByToken(i2a, i2b), ByToken(i3a, i3b));
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

    /// <summary>
    /// One row's lanes of a pair of pairs (tokens 0 | 1 in <paramref name="a"/>'s 256-bit halves, 2 | 3 in
    /// <paramref name="b"/>'s) with each token's two 128-bit lanes added: token t's four partial sums in 128-bit lane t.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> ByToken(Vector512<int> a, Vector512<int> b) =>
        Avx512F.Add(Avx512F.Shuffle4x128(a, b, 0x88), Avx512F.Shuffle4x128(a, b, 0xDD));

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
            int minSum = mins[2 * c] * (bsums[4 * c] + bsums[4 * c + 1]) + mins[2 * c + 1] * (bsums[4 * c + 2] + bsums[4 * c + 3]);
            acc = MathF.FusedMultiplyAdd(d, sum, acc);
            accMin = MathF.FusedMultiplyAdd(dmin, minSum, accMin);
        }
    }
}
