// Prompt-time K-quant × Q8_K tiles with AVX-512BW: four weight rows, unpacked once per call, against token pairs packed once per batch.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// One K-quant format as the pair tile sees it: how one row's block is laid into a prepared row group (quants
/// unsigned, 32 per chunk; a 16-short scale vector per chunk; d, and dmin and mins or the signed scales for the
/// offset), and, for the scalar reference, each weight's unsigned quant and scale.
/// </summary>
internal unsafe interface IKQuantPairWeights
{
    /// <summary>True for the formats with 6-bit scales and mins (Q4_K, Q5_K): their min term has its own float lanes.</summary>
    static abstract bool HasMins { get; }

    /// <summary>For the scale-min formats: whether the min term is one float chain per output (Q5_K) rather than four lanes (Q4_K).</summary>
    static abstract bool OneMinLane { get; }

    /// <summary>For the scale-min formats: whether sums go in llama.cpp's repacked order, one FMA per sub-block pair (Q4_K).</summary>
    static abstract bool PairOrder { get; }

    /// <summary>For the offset formats (Q6_K): the offset 1 &lt;&lt; OffsetShift removed through the bsums; 0 where there is none.</summary>
    static abstract byte OffsetShift { get; }

    /// <summary>Lays row <paramref name="k"/>'s block <paramref name="x"/> into the prepared group block <paramref name="g"/>.</summary>
    static abstract void Prepare(byte* x, int k, byte* g);

    /// <summary>
    /// Scalar view of one block: q[n] the unsigned quant, scale[n] the integer scale of weight n, d; dmin and mins[8]
    /// (scale-min formats) or the sixteen signed scales in mins[16] (offset formats).
    /// </summary>
    static abstract void Decode(byte* x, int* q, int* scale, int* mins, out float d, out float dmin);
}

/// <summary>
/// Every output is bit for bit the format's row dot at <see cref="SimdWidth.Vector512"/>: the row dot's eight
/// integer lanes per block are, lane l, Σ over the 32-weight chunks m of scale × the products of weights 4l..4l+3
/// of the chunk's 16- or 32-weight group (lanes 0..3 and 4..7 the two groups of 16 where scales are per 16). A
/// 512-bit vector here holds one chunk of two tokens, <c>[token 2p chunk m | token 2p+1 chunk m]</c>, so one
/// vpmaddubsw + vpmaddwd against the chunk's weights broadcast to both halves forms those lanes for two tokens at
/// once, summed in int32 without a 512→256 fold; each block then gets the row dot's FMA with d·dy per lane, the min
/// (or offset) term and the final reduction unchanged.
/// Formats in pair order (<see cref="IKQuantPairWeights.PairOrder"/>: Q4_K) take llama.cpp's repacked GEMM's order instead,
/// with one (token, row) per lane (KQuantPairTileAvx512.PairOrder.cs).
/// Activations come packed by <see cref="KQuantPairPacking.Pack"/>, the same for every K-quant.
/// </summary>
internal static unsafe partial class KQuantPairTileAvx512<TWeights> where TWeights : struct, IKQuantPairWeights
{
    /// <summary>Bytes of one token pair's block in the packed activations (11 cache lines).</summary>
    public const int PairBlockBytes = KQuantPairPacking.PairBlockBytes;

    /// <summary>Where the packed fields lie in a pair block.</summary>
    internal const int SumsAt = KQuantPairPacking.SumsAt, DyAt = KQuantPairPacking.DyAt, PairSumsAt = KQuantPairPacking.PairSumsAt;

    /// <summary>
    /// Bytes of one block of a prepared row group, and where its fields lie: row k's eight 32-quant chunks at
    /// RowBytes·k, their scale vectors (16 shorts each) at ScalesAt + RowBytes·k, so each row's part is written with
    /// 512-bit stores.
    /// </summary>
    internal const int GroupBlockBytes = 2368, RowBytes = 256, ScalesAt = 1024, DAt = 2048, DminAt = 2112, MinsAt = 2176, Sc16At = 2240;


    /// <summary>
    /// out[t·outStride + r] = Dot(weight row r, token t) for r in 0..3 and t in 0..2·<paramref name="pairs"/>−1; block b
    /// of weight row k at w + b·blockStride + k·wStride, pair p's blocks at packed + p·pairStride.
    /// </summary>
    public static void Run(byte* w, nint wStride, nint blockStride, byte* packed, nint pairStride, int pairs, int blocks, float* output,
        nint outStride)
    {
        // The row group, prepared once per call and reused by every token pair. The weights are read only here, so the
        // first pass over the pairs brings in the next row group, a block's lines per block: issued all at once before the
        // prepare, as they were, the prefetches waited on full miss buffers (TinyLlama Q4_K_M pp16 83 → 88 tok/s on Zen 5).
        byte* g = RowGroupScratch.Aligned(blocks * GroupBlockBytes);
        for (int b = 0; b < blocks; b++)
            for (int k = 0; k < 4; k++)
                TWeights.Prepare(w + b * blockStride + k * wStride, k, g + b * GroupBlockBytes);
        // The next group of four rows follows this one in either layout: four blocks' bytes per block of it.
        nint nextBlockBytes = 4 * Math.Min(wStride, blockStride);
        byte* nextGroup = w + blocks * nextBlockBytes;
        int p = 0;
        for (; p + 2 <= pairs; p += 2)
            TwoPairsOf(g, packed + p * pairStride, pairStride, blocks, output + 2 * p * outStride, output + 2 * (p + 1) * outStride, outStride,
                outStride, p == 0 ? nextGroup : null, nextBlockBytes);
        if (p < pairs)
        {
            // The last pair alone: computed twice over, the copy's outputs dropped.
            float* dropped = stackalloc float[8];
            TwoPairsOf(g, packed + p * pairStride, 0, blocks, output + 2 * p * outStride, dropped, outStride, 4, p == 0 ? nextGroup : null,
                nextBlockBytes);
        }
    }

    /// <summary>The format's two-pair kernel: <see cref="TwoPairsInPairOrder"/> for <see cref="IKQuantPairWeights.PairOrder"/> formats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TwoPairsOf(byte* g, byte* packed, nint pairStride, int blocks, float* first, float* second, nint strideA, nint strideB,
        byte* prefetch, nint prefetchStride)
    {
        if (TWeights.PairOrder)
            TwoPairsInPairOrder(g, packed, pairStride, blocks, first, second, strideA, strideB, prefetch, prefetchStride);
        else
            TwoPairs(g, packed, pairStride, blocks, first, second, strideA, strideB, prefetch, prefetchStride);
    }

    /// <summary>
    /// 4 rows × 2 pairs: sixteen accumulators (eight int32 per block, eight float); the first pair's two tokens to
    /// <paramref name="first"/> and first + strideA, the second's to <paramref name="second"/> and second + strideB.
    /// Unless <paramref name="prefetch"/> is null, each block's step prefetches the <paramref name="prefetchStride"/>
    /// bytes of the same block of the group there.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TwoPairs(byte* g, byte* packed, nint pairStride, int blocks, float* first, float* second, nint strideA, nint strideB,
        byte* prefetch, nint prefetchStride)
    {
        Vector512<float> f0a = default, f1a = default, f2a = default, f3a = default;
        Vector512<float> f0b = default, f1b = default, f2b = default, f3b = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* x = g + b * GroupBlockBytes;
            byte* ya = packed + b * PairBlockBytes;
            byte* yb = ya + pairStride;
            if (prefetch != null)
                for (nint l = 0; l < prefetchStride; l += 64) Sse.Prefetch0(prefetch + b * prefetchStride + l);
            Vector512<int> i0a = default, i1a = default, i2a = default, i3a = default;
            Vector512<int> i0b = default, i1b = default, i2b = default, i3b = default;
            for (int m = 0; m < 8; m++)
            {
                Vector512<sbyte> qa = Vector512.Load((sbyte*)(ya + 64 * m)), qb = Vector512.Load((sbyte*)(yb + 64 * m));
                byte* xq = x + 32 * m;
                Chunk(xq, qa, qb, ref i0a, ref i0b);
                Chunk(xq + RowBytes, qa, qb, ref i1a, ref i1b);
                Chunk(xq + 2 * RowBytes, qa, qb, ref i2a, ref i2b);
                Chunk(xq + 3 * RowBytes, qa, qb, ref i3a, ref i3b);
            }
            if (TWeights.OffsetShift != 0)
            {
                Vector512<short> sa = Vector512.Load((short*)(ya + SumsAt)), sb = Vector512.Load((short*)(yb + SumsAt));
                Offset(x + Sc16At, sa, sb, ref i0a, ref i0b);
                Offset(x + Sc16At + 32, sa, sb, ref i1a, ref i1b);
                Offset(x + Sc16At + 64, sa, sb, ref i2a, ref i2b);
                Offset(x + Sc16At + 96, sa, sb, ref i3a, ref i3b);
            }
            Vector512<float> dya = Vector512.Load((float*)(ya + DyAt)), dyb = Vector512.Load((float*)(yb + DyAt));
            float* d = (float*)(x + DAt);
            Accumulate(d[0], dya, dyb, i0a, i0b, ref f0a, ref f0b);
            Accumulate(d[1], dya, dyb, i1a, i1b, ref f1a, ref f1b);
            Accumulate(d[2], dya, dyb, i2a, i2b, ref f2a, ref f2b);
            Accumulate(d[3], dya, dyb, i3a, i3b, ref f3a, ref f3b);
        }
        Vector512<float> ma0 = default, ma1 = default, mb0 = default, mb1 = default;
        if (TWeights.HasMins)
        {
            Mins(g, packed, blocks, out ma0, out ma1);
            Mins(g, packed + pairStride, blocks, out mb0, out mb1);
        }
        Store(first, strideA, f0a, f1a, f2a, f3a, ma0, ma1);
        Store(second, strideB, f0b, f1b, f2b, f3b, mb0, mb1);
    }

    /// <summary>One chunk of one row against two pairs: the 32 quants and the scale vector broadcast to both halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Chunk(byte* xq, Vector512<sbyte> qa, Vector512<sbyte> qb, ref Vector512<int> ia, ref Vector512<int> ib)
    {
        Vector512<byte> q = Avx512DQ.BroadcastVector256ToVector512((int*)xq).AsByte();
        Vector512<short> s = Avx512DQ.BroadcastVector256ToVector512((int*)(xq + ScalesAt)).AsInt16();
        ia += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q, qa), s);
        ib += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q, qb), s);
    }

    /// <summary>The offset term of the signed-scale formats: (bsums[2l]·sc[2l] + bsums[2l+1]·sc[2l+1]) &lt;&lt; shift per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Offset(byte* sc16, Vector512<short> sa, Vector512<short> sb, ref Vector512<int> ia, ref Vector512<int> ib)
    {
        Vector512<short> scales = Avx512DQ.BroadcastVector256ToVector512((int*)sc16).AsInt16();
        ia -= Avx512BW.MultiplyAddAdjacent(sa, scales) << TWeights.OffsetShift;
        ib -= Avx512BW.MultiplyAddAdjacent(sb, scales) << TWeights.OffsetShift;
    }

    /// <summary>The row dot's per-block FMA: lanes += (d·dy) · float(sumi), each half its own token's dy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(float d, Vector512<float> dya, Vector512<float> dyb, Vector512<int> ia, Vector512<int> ib,
        ref Vector512<float> fa, ref Vector512<float> fb)
    {
        Vector512<float> dw = Vector512.Create(d);
        fa = Avx512F.FusedMultiplyAdd(dw * dya, Avx512F.ConvertToVector512Single(ia), fa);
        fb = Avx512F.FusedMultiplyAdd(dw * dyb, Avx512F.ConvertToVector512Single(ib), fb);
    }

    /// <summary>
    /// The min term of one pair: lanes 4k..4k+3 are row k's four min lanes, token 2p in <paramref name="low"/>, 2p+1 in
    /// <paramref name="high"/>, each the row dot's FMA with dmin·dy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Mins(byte* g, byte* packed, int blocks, out Vector512<float> low, out Vector512<float> high)
    {
        low = default;
        high = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* x = g + b * GroupBlockBytes;
            byte* y = packed + b * PairBlockBytes;
            Vector512<short> mins = Vector512.Load((short*)(x + MinsAt));
            Vector512<float> dmin = Vector512.Load((float*)(x + DminAt));
            Vector512<short> pa = Avx512F.BroadcastVector128ToVector512((int*)(y + PairSumsAt)).AsInt16();
            Vector512<short> pb = Avx512F.BroadcastVector128ToVector512((int*)(y + PairSumsAt + 16)).AsInt16();
            low = Avx512F.FusedMultiplyAdd(dmin * Vector512.Create(((float*)(y + DyAt))[0]),
                Avx512F.ConvertToVector512Single(MinLanes(Avx512BW.MultiplyAddAdjacent(mins, pa))), low);
            high = Avx512F.FusedMultiplyAdd(dmin * Vector512.Create(((float*)(y + DyAt))[8]),
                Avx512F.ConvertToVector512Single(MinLanes(Avx512BW.MultiplyAddAdjacent(mins, pb))), high);
        }
    }

    /// <summary>Four rows' min lanes (one row per 128-bit lane), each summed into its lane 0 where the format keeps one min chain.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> MinLanes(Vector512<int> lanes) => TWeights.OneMinLane ? KQuant.IntoLaneZero(lanes) : lanes;

    /// <summary>Row k's pair of dots: token 2p (low halves) to o[k], token 2p+1 (high halves) to o[outStride + k].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* o, nint outStride, Vector512<float> r0, Vector512<float> r1, Vector512<float> r2, Vector512<float> r3,
        Vector512<float> minLow, Vector512<float> minHigh)
    {
        Vector128.Create(KQuant.Sum(r0.GetLower()), KQuant.Sum(r1.GetLower()), KQuant.Sum(r2.GetLower()), KQuant.Sum(r3.GetLower())).Store(o);
        Vector128.Create(KQuant.Sum(r0.GetUpper()), KQuant.Sum(r1.GetUpper()), KQuant.Sum(r2.GetUpper()), KQuant.Sum(r3.GetUpper())).Store(o + outStride);
        if (!TWeights.HasMins) return;
        o[0] -= KQuant.Sum(minLow.GetLower().GetLower());
        o[1] -= KQuant.Sum(minLow.GetLower().GetUpper());
        o[2] -= KQuant.Sum(minLow.GetUpper().GetLower());
        o[3] -= KQuant.Sum(minLow.GetUpper().GetUpper());
        o[outStride] -= KQuant.Sum(minHigh.GetLower().GetLower());
        o[outStride + 1] -= KQuant.Sum(minHigh.GetLower().GetUpper());
        o[outStride + 2] -= KQuant.Sum(minHigh.GetUpper().GetLower());
        o[outStride + 3] -= KQuant.Sum(minHigh.GetUpper().GetUpper());
    }

    /// <summary>
    /// Scalar <see cref="Run"/>: per (row, token) and block the row dot's eight integer lanes (and four min lanes)
    /// from <see cref="IKQuantPairWeights.Decode"/>, the same FMAs and the same final reduction.
    /// </summary>
    public static void Reference(byte* w, nint wStride, nint blockStride, byte* packed, nint pairStride, int pairs, int blocks, float* output,
        nint outStride)
    {
        int* q = stackalloc int[256];
        int* scale = stackalloc int[256];
        int* mins = stackalloc int[16];
        float* acc = stackalloc float[8];
        float* accMin = stackalloc float[4];
        int* sumMin = stackalloc int[4];
        for (int r = 0; r < 4; r++)
        {
            for (int t = 0; t < 2 * pairs; t++)
            {
                for (int l = 0; l < 8; l++) acc[l] = 0;
                for (int l = 0; l < 4; l++) accMin[l] = 0;
                for (int b = 0; b < blocks; b++)
                {
                    TWeights.Decode(w + b * blockStride + r * wStride, q, scale, mins, out float dw, out float dmin);
                    byte* y = packed + t / 2 * pairStride + b * PairBlockBytes;
                    int h = t % 2;
                    float dy = ((float*)(y + DyAt))[8 * h];
                    short* bsums = (short*)(y + SumsAt) + 16 * h;
                    if (TWeights.PairOrder)
                    {
                        PairOrderBlock(q, scale, mins, dw * dy, dmin * dy, (sbyte*)y + 32 * h, bsums, ref acc[0], ref accMin[0]);
                        continue;
                    }
                    for (int l = 0; l < 8; l++)
                    {
                        int sumi = 0;
                        for (int m = 0; m < 8; m++)
                        {
                            // Chunk m's lane l: weights 4l..4l+3 of a 32-weight group, or 4(l%4).. of the (l/4)th group of 16.
                            int first = 32 * m + (TWeights.HasMins ? 4 * l : 16 * (l / 4) + 4 * (l % 4));
                            for (int j = first; j < first + 4; j++)
                                sumi += scale[j] * q[j] * ((sbyte*)y)[64 * m + 32 * h + j - 32 * m];
                        }
                        if (!TWeights.HasMins)
                            sumi -= (bsums[2 * l] * mins[2 * l] + bsums[2 * l + 1] * mins[2 * l + 1]) << TWeights.OffsetShift;
                        acc[l] = MathF.FusedMultiplyAdd(dw * dy, sumi, acc[l]);
                    }
                    if (TWeights.HasMins)
                    {
                        for (int i = 0; i < 4; i++) sumMin[i] = PairMinSum(mins, bsums, i);
                        if (TWeights.OneMinLane)
                        {
                            sumMin[0] += sumMin[1] + sumMin[2] + sumMin[3];
                            sumMin[1] = sumMin[2] = sumMin[3] = 0;
                        }
                        for (int i = 0; i < 4; i++) accMin[i] = MathF.FusedMultiplyAdd(dmin * dy, sumMin[i], accMin[i]);
                    }
                }
                float sum = TWeights.PairOrder ? acc[0] : KQuant.Sum(Vector256.Load(acc));
                output[t * outStride + r] = TWeights.PairOrder ? sum - accMin[0] : TWeights.HasMins ? sum - KQuant.Sum(Vector128.Load(accMin)) : sum;
            }
        }
    }
}

/// <summary>
/// The K-quant pair tiles' activations: per token pair and block, <see cref="PairBlockBytes"/> bytes of
/// <c>{ int8 y[8][2][32]; int16 bsums[2][16]; float dy[2][8]; int16 pairSums[2][8]; }</c> (chunk m of both tokens
/// side by side), made once per batch from Q8_K rows. One layout for every format, so one packing serves a model
/// that mixes them.
/// </summary>
internal static unsafe class KQuantPairPacking
{
    /// <summary>Bytes of one token pair's block in the packed activations (11 cache lines).</summary>
    public const int PairBlockBytes = 704;

    /// <summary>Where the packed fields lie in a pair block.</summary>
    internal const int SumsAt = 512, DyAt = 576, PairSumsAt = 640;

    /// <summary>
    /// Packs tokens 0..2·<paramref name="pairs"/>−1 of Q8_K rows (<paramref name="rowBytes"/> apart; 0 pairs a token
    /// with itself) for the tile: pair p, block b at packed + (p·blocks + b)·<see cref="PairBlockBytes"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(byte* rows, nint rowBytes, int pairs, int blocks, byte* packed)
    {
        for (int p = 0; p < pairs; p++)
        {
            for (int b = 0; b < blocks; b++)
            {
                byte* dst = packed + ((nint)p * blocks + b) * PairBlockBytes;
                for (int h = 0; h < 2; h++)
                {
                    byte* src = rows + (2 * p + h) * rowBytes + b * Q8KBlock.BlockBytes;
                    for (int m = 0; m < 8; m++)
                        Vector256.Load(src + Q8KBlock.QuantsOffset + 32 * m).Store(dst + 64 * m + 32 * h);
                    Vector256<short> bsums = Vector256.Load((short*)(src + Q8KBlock.SumsOffset));
                    bsums.Store((short*)(dst + SumsAt) + 16 * h);
                    Vector256.Create(Unsafe.ReadUnaligned<float>(src)).Store((float*)(dst + DyAt) + 8 * h);
                    Ssse3.HorizontalAdd(bsums.GetLower(), bsums.GetUpper()).Store((short*)(dst + PairSumsAt) + 8 * h);
                }
                new Span<byte>(dst + PairSumsAt + 32, PairBlockBytes - PairSumsAt - 32).Clear();
            }
        }
    }
}
