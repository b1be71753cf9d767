// Prompt-time Q8_0 × Q8_0 tiles with AVX-512BW: four weight rows against token pairs packed once per batch, and the decode-time four-row kernel.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Quill.Tensors.Quantization;

/// <summary>
/// Each 512-bit accumulator holds one weight row against two tokens (token 2p in the low half, 2p+1 in the high half),
/// so one vpmaddubsw + vpmaddwd forms the integer lanes of two dots. The signed weights go through ggml's sign trick:
/// |x| (unsigned) times y with x's sign applied, (y ⊕ m) − m with m = (x &lt; 0 ? −1 : 0), the same bytes as vpsignb
/// wherever |x| ≠ 0, so the lanes are ggml's to the bit (saturation included). Each half then gets the FMA with
/// d_w·d_a and the horizontal sum of <see cref="GgmlX86BlockDot"/>: every output is bit for bit the single-row dot
/// (and llama.cpp's x86 result).
/// Activations come packed by <see cref="Pack"/>: per token pair and block, <see cref="PairBlockBytes"/> bytes of
/// <c>{ int8 y[2][32]; float d[2][8]; }</c> (each token's scale repeated over its eight lanes), computed once per
/// batch instead of once per weight row.
/// Measured alternatives (Zen 5, one thread, 768–2048-wide shapes): weights offset to unsigned (q ⊕ 0x80) with 256-bit
/// VPDPBUSD (AvxVnni) and −128·Σy per group of four as the accumulator's start ran at the same speed, as did y and −y
/// picked under the sign mask, and d_w·d_a formed once per pair and spread with a permute was a third slower: the tile
/// is bound by its four multiply-pipe operations per row and pair (two integer, the scale product, the FMA). The rows
/// stay in the load-time groups of four (<see cref="WeightMatrix.InterleaveRowGroups"/>); |x| and the sign mask are
/// made per call in a small scratch group, or on the fly for up to four pairs.
/// </summary>
internal static unsafe class Q8_0TileAvx512
{
    /// <summary>Bytes of one token pair's block in the packed activations (64 quants, 16 scales: two 64-byte lines).</summary>
    public const int PairBlockBytes = 128;

    private const int ScalesAt = 64;

    public static bool IsSupported => Avx512BW.IsSupported && Avx512F.IsSupported && Avx512DQ.IsSupported && Avx2.IsSupported && Fma.IsSupported;

    /// <summary>
    /// Packs tokens 0..2·<paramref name="pairs"/>−1 of Q8_0 rows (<paramref name="rowBytes"/> apart) for the tile:
    /// pair p, block b at packed + (p·blocks + b)·<see cref="PairBlockBytes"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(byte* rows, nint rowBytes, int pairs, int blocks, byte* packed) =>
        Q8_0PairPacking.Pack(rows, rowBytes, pairs, blocks, packed, PairBlockBytes, ScalesAt, 8);

    /// <summary>
    /// out[t·outStride + r] = Dot(weight row r, token t) for r in 0..3 and t in 0..2·<paramref name="pairs"/>−1; block b
    /// of weight row k at w + b·blockStride + k·wStride, pair p's blocks at packed + p·pairStride.
    /// </summary>
    public static void Run(byte* w, nint wStride, nint blockStride, byte* packed, nint pairStride, int pairs, int blocks, float* output,
        nint outStride)
    {
        if (pairs <= 4)
        {
            Direct(w, wStride, blockStride, packed, pairStride, pairs, blocks, output, outStride);
            return;
        }
        // The row group, prepared once per call and reused by every token pair.
        byte* g = RowGroupScratch.Aligned(blocks * GroupBlockBytes);
        Prepare(w, wStride, blockStride, blocks, g);
        // The next group of four rows, streamed into cache while this one computes: it follows this one in the
        // interleaved layout; row-major rows get no prefetch (the scratch stands in, already cached).
        bool interleaved = wStride == Q8_0Block.BlockBytes && blockStride == 4 * Q8_0Block.BlockBytes;
        byte* next = interleaved ? w + blocks * blockStride : g;
        nint nextStride = interleaved ? blockStride : GroupBlockBytes;
        int p = 0;
        for (; p + 4 <= pairs; p += 4)
            FourPairs(g, p == 0 ? next : g, p == 0 ? nextStride : GroupBlockBytes, packed + p * pairStride, pairStride, blocks,
                output + 2 * p * outStride, outStride);
        for (; p < pairs; p++)
            OnePair(g, packed + p * pairStride, blocks, output + 2 * p * outStride, outStride);
    }

    /// <summary>
    /// out[r] = Dot(weight row r, one token) for r in 0..3, the decode-time shape: the token packed as a pair with
    /// itself (<see cref="Pack"/> with rowBytes 0), two weight rows per 512-bit register (row r low, r+1 high).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(byte* w, nint wStride, nint blockStride, byte* packed, int blocks, float* output)
    {
        bool prefetch = DecodePrefetch.Enabled;
        Vector512<float> acc01 = default, acc23 = default;
        int b = 0;
        if (wStride == Q8_0Block.BlockBytes && blockStride == 4 * Q8_0Block.BlockBytes)
        {
            // Interleaved groups: four blocks' sixteen weight scales in one conversion, each block's two row pairs picked from it.
            for (; b + 4 <= blocks; b += 4)
            {
                byte* x = w + b * blockStride;
                DecodePrefetch.Ahead(prefetch, x, 4 * blockStride);
                Vector512<float> scales = Fp16Bits.ToSingle(Avx512Lanes.Join(Vector256.Create(GroupScaleBits(x), GroupScaleBits(x + blockStride)),
                    Vector256.Create(GroupScaleBits(x + 2 * blockStride), GroupScaleBits(x + 3 * blockStride))));
                for (int j = 0; j < 4; j++)
                {
                    Vector512<int> pick = Vector512.Create(4 * j);
                    RowsBlock(x + j * blockStride, wStride, packed + (b + j) * PairBlockBytes, Avx512F.PermuteVar16x32(scales, pick + LowHigh01),
                        Avx512F.PermuteVar16x32(scales, pick + LowHigh23), ref acc01, ref acc23);
                }
            }
        }
        for (; b < blocks; b++)
        {
            byte* x = w + b * blockStride;
            Vector512<float> d = WeightScales(x, wStride).ToVector256Unsafe().ToVector512Unsafe();
            RowsBlock(x, wStride, packed + b * PairBlockBytes, Avx512F.PermuteVar16x32(d, LowHigh01), Avx512F.PermuteVar16x32(d, LowHigh23),
                ref acc01, ref acc23);
        }
        Vector128.Create(GgmlX86BlockDot.HorizontalSum(acc01.GetLower()), GgmlX86BlockDot.HorizontalSum(acc01.GetUpper()),
            GgmlX86BlockDot.HorizontalSum(acc23.GetLower()), GgmlX86BlockDot.HorizontalSum(acc23.GetUpper())).Store(output);
    }

    /// <summary>Lanes 0–7 from row 0, 8–15 from row 1 (and 2, 3) of a vector holding four rows' values in lanes 0–3.</summary>
    private static Vector512<int> LowHigh01 => Vector512.Create(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);

    private static Vector512<int> LowHigh23 => Vector512.Create(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);

    /// <summary>
    /// One block of <see cref="Rows"/>: acc01 += lanes(rows 0, 1) · (d_w · d_a), acc23 likewise; dw01 and dw23 hold the
    /// weight scales of rows 0 | 1 and 2 | 3 over eight lanes each.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowsBlock(byte* x, nint wStride, byte* y, Vector512<float> dw01, Vector512<float> dw23, ref Vector512<float> acc01,
        ref Vector512<float> acc23)
    {
        Vector512<sbyte> quants = Vector512.Load((sbyte*)y);
        // Both halves of the packed pair hold the same token, so its scale vector is d_a in every lane.
        Vector512<float> da = Vector512.Load((float*)(y + ScalesAt));
        acc01 = Avx512F.FusedMultiplyAdd(Lanes(TwoRows(x, x + wStride), quants), dw01 * da, acc01);
        acc23 = Avx512F.FusedMultiplyAdd(Lanes(TwoRows(x + 2 * wStride, x + 3 * wStride), quants), dw23 * da, acc23);
    }

    /// <summary>
    /// The four fp16 scales of an interleaved Q8_0 group block (words 0, 17, 34, 51 of its 136 bytes) as zero-extended
    /// 32-bit lanes: one two-source word permute over its first 128 bytes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> GroupScaleBits(byte* group)
    {
        Vector512<ushort> pick = Vector512.Create((ushort)0, 0, 17, 0, 34, 0, 51, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        Vector512<ushort> words = Avx512BW.PermuteVar32x16x2(Vector512.Load((ushort*)group), pick, Vector512.Load((ushort*)(group + 64)));
        return words.GetLower().GetLower().AsUInt32() & Vector128.Create(0xFFFFu);
    }

    /// <summary>Scalar <see cref="Rows"/>: <see cref="Reference"/> for one pair whose halves are the same token.</summary>
    public static void RowsReference(byte* w, nint wStride, nint blockStride, byte* packed, int blocks, float* output)
    {
        float* both = stackalloc float[8];
        Reference(w, wStride, blockStride, packed, 0, 1, blocks, both, 4);
        for (int r = 0; r < 4; r++) output[r] = both[r];
    }

    /// <summary>The 32 quants of two rows' blocks: [row r0 | row r1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<sbyte> TwoRows(byte* r0, byte* r1) =>
        Avx512F.InsertVector256(Vector256.Load((sbyte*)(r0 + 2)).ToVector512Unsafe(), Vector256.Load((sbyte*)(r1 + 2)), 1);

    /// <summary>16 exact lanes Σ x·y over groups of four, as floats, for weight quants x: ggml's sign trick on 512 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Lanes(Vector512<sbyte> x, Vector512<sbyte> y)
    {
        Vector512<sbyte> sign = Vector512.LessThan(x, Vector512<sbyte>.Zero);
        return Lanes(Avx512BW.Abs(x), sign, y);
    }

    /// <summary>16 exact lanes Σ |x|·sign(y, x) over groups of four, as floats, from |x| and the mask of x &lt; 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Lanes(Vector512<byte> abs, Vector512<sbyte> sign, Vector512<sbyte> y) =>
        Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(abs, (y ^ sign) - sign), Vector512<short>.One));

    /// <summary>
    /// Bytes of one block of a prepared row group: four float scales, padding, then per row its 32 |x| and its 32
    /// bytes of the mask x &lt; 0.
    /// </summary>
    private const int GroupBlockBytes = 288, GroupQuantsAt = 32;


    /// <summary>
    /// The four rows' blocks made ready for the pair loops: d converted to float, |x| and the sign mask split, so each
    /// pair tile only loads them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Prepare(byte* w, nint wStride, nint blockStride, int blocks, byte* g)
    {
        for (int b = 0; b < blocks; b++)
        {
            byte* x = w + b * blockStride;
            byte* dst = g + b * GroupBlockBytes;
            WeightScales(x, wStride).Store((float*)dst);
            for (int k = 0; k < 4; k++)
            {
                Vector256<sbyte> q = Vector256.Load((sbyte*)(x + k * wStride + 2));
                Vector256.Abs(q).Store((sbyte*)(dst + GroupQuantsAt + 64 * k));
                Vector256.LessThan(q, Vector256<sbyte>.Zero).Store((sbyte*)(dst + GroupQuantsAt + 64 * k + 32));
            }
        }
    }

    /// <summary>Scalar <see cref="Run"/>: the same lanes, fused multiply-adds and reduction order, one (row, token) at a time.</summary>
    public static void Reference(byte* w, nint wStride, nint blockStride, byte* packed, nint pairStride, int pairs, int blocks, float* output,
        nint outStride) =>
        Q8_0PairPacking.Reference(w, wStride, blockStride, packed, pairStride, pairs, blocks, output, outStride, PairBlockBytes, ScalesAt, 8);

    /// <summary>
    /// 4 rows × 8 tokens: sixteen accumulators, each prepared weight block and each pair's block loaded once; three
    /// prefetches a block bring in the 136 bytes of the same block of the group <paramref name="next"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FourPairs(byte* g, byte* next, nint nextStride, byte* packed, nint pairStride, int blocks, float* output, nint outStride)
    {
        Vector512<float> a00 = default, a10 = default, a20 = default, a30 = default;
        Vector512<float> a01 = default, a11 = default, a21 = default, a31 = default;
        Vector512<float> a02 = default, a12 = default, a22 = default, a32 = default;
        Vector512<float> a03 = default, a13 = default, a23 = default, a33 = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* x = g + b * GroupBlockBytes;
            byte* y = packed + b * PairBlockBytes;
            byte* ahead = next + b * nextStride;
            Sse.Prefetch0(ahead);
            Sse.Prefetch0(ahead + 64);
            Sse.Prefetch0(ahead + 128);
            var x0 = Row(x, 0);
            var x1 = Row(x, 1);
            var x2 = Row(x, 2);
            var x3 = Row(x, 3);
            Pair(y, (float*)x, x0, x1, x2, x3, ref a00, ref a10, ref a20, ref a30);
            Pair(y + pairStride, (float*)x, x0, x1, x2, x3, ref a01, ref a11, ref a21, ref a31);
            Pair(y + 2 * pairStride, (float*)x, x0, x1, x2, x3, ref a02, ref a12, ref a22, ref a32);
            Pair(y + 3 * pairStride, (float*)x, x0, x1, x2, x3, ref a03, ref a13, ref a23, ref a33);
        }
        Store(output, outStride, a00, a10, a20, a30);
        Store(output + 2 * outStride, outStride, a01, a11, a21, a31);
        Store(output + 4 * outStride, outStride, a02, a12, a22, a32);
        Store(output + 6 * outStride, outStride, a03, a13, a23, a33);
    }

    /// <summary>
    /// 4 rows × up to 8 tokens (<paramref name="pairs"/> of 1..4) straight from the weight rows, with no prepared group:
    /// for small batches, where a prepared group would be used once (measured 8–10% faster there on TinyLlama's FFN
    /// shape; from five pairs on, re-reading the rows costs more than preparing them). The same lanes and float order
    /// as <see cref="FourPairs"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Direct(byte* w, nint wStride, nint blockStride, byte* packed, nint pairStride, int pairs, int blocks, float* output,
        nint outStride)
    {
        Vector512<float> a00 = default, a10 = default, a20 = default, a30 = default;
        Vector512<float> a01 = default, a11 = default, a21 = default, a31 = default;
        Vector512<float> a02 = default, a12 = default, a22 = default, a32 = default;
        Vector512<float> a03 = default, a13 = default, a23 = default, a33 = default;
        float* dw = stackalloc float[4];
        for (int b = 0; b < blocks; b++)
        {
            byte* x = w + b * blockStride;
            byte* y = packed + b * PairBlockBytes;
            WeightScales(x, wStride).Store(dw);
            var x0 = RawRow(x);
            var x1 = RawRow(x + wStride);
            var x2 = RawRow(x + 2 * wStride);
            var x3 = RawRow(x + 3 * wStride);
            Pair(y, dw, x0, x1, x2, x3, ref a00, ref a10, ref a20, ref a30);
            if (pairs > 1) Pair(y + pairStride, dw, x0, x1, x2, x3, ref a01, ref a11, ref a21, ref a31);
            if (pairs > 2) Pair(y + 2 * pairStride, dw, x0, x1, x2, x3, ref a02, ref a12, ref a22, ref a32);
            if (pairs > 3) Pair(y + 3 * pairStride, dw, x0, x1, x2, x3, ref a03, ref a13, ref a23, ref a33);
        }
        Store(output, outStride, a00, a10, a20, a30);
        if (pairs > 1) Store(output + 2 * outStride, outStride, a01, a11, a21, a31);
        if (pairs > 2) Store(output + 4 * outStride, outStride, a02, a12, a22, a32);
        if (pairs > 3) Store(output + 6 * outStride, outStride, a03, a13, a23, a33);
    }

    /// <summary>A weight row's block as <see cref="Row"/> gives it prepared: |x| and the mask x &lt; 0, each twice.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<byte> Abs, Vector512<sbyte> Sign) RawRow(byte* block)
    {
        Vector512<sbyte> q = Twice(block + 2).AsSByte();
        return (Avx512BW.Abs(q), Vector512.LessThan(q, Vector512<sbyte>.Zero));
    }

    /// <summary>4 rows × 2 tokens, for the pairs left over after the four-pair tiles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OnePair(byte* g, byte* packed, int blocks, float* output, nint outStride)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* x = g + b * GroupBlockBytes;
            Pair(packed + b * PairBlockBytes, (float*)x, Row(x, 0), Row(x, 1), Row(x, 2), Row(x, 3), ref a0, ref a1, ref a2, ref a3);
        }
        Store(output, outStride, a0, a1, a2, a3);
    }

    /// <summary>
    /// Row k's prepared 32 bytes at <paramref name="at"/>, twice (one copy per token of a pair): one vbroadcasti32x8. Not
    /// Avx512F.BroadcastVector256ToVector512(ulong*), which on .NET 10 broadcasts the pointer's own bytes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Twice(byte* at) => Avx512DQ.BroadcastVector256ToVector512((int*)at).AsByte();

    /// <summary>The fp16 scales d of one block in four rows, converted in one vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> WeightScales(byte* x, nint wStride) =>
        Fp16Bits.ToSingle(Vector128.Create((uint)*(ushort*)x, *(ushort*)(x + wStride), *(ushort*)(x + 2 * wStride), *(ushort*)(x + 3 * wStride)));

    /// <summary>Row k's |x| and sign mask of a prepared block, each twice (one copy per token of a pair).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<byte> Abs, Vector512<sbyte> Sign) Row(byte* prepared, int k) =>
        (Twice(prepared + GroupQuantsAt + 64 * k), Twice(prepared + GroupQuantsAt + 64 * k + 32).AsSByte());

    /// <summary>One token pair's block against the four prepared weight rows: r_k += lanes(x_k, y) · (d_w(k) · d_a), each half its own token.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pair(byte* y, float* dw, (Vector512<byte> Abs, Vector512<sbyte> Sign) x0, (Vector512<byte> Abs, Vector512<sbyte> Sign) x1,
        (Vector512<byte> Abs, Vector512<sbyte> Sign) x2, (Vector512<byte> Abs, Vector512<sbyte> Sign) x3,
        ref Vector512<float> r0, ref Vector512<float> r1, ref Vector512<float> r2, ref Vector512<float> r3)
    {
        Vector512<sbyte> quants = Vector512.Load((sbyte*)y);
        Vector512<float> da = Vector512.Load((float*)(y + ScalesAt));
        r0 = Avx512F.FusedMultiplyAdd(Lanes(x0.Abs, x0.Sign, quants), da * Vector512.Create(dw[0]), r0);
        r1 = Avx512F.FusedMultiplyAdd(Lanes(x1.Abs, x1.Sign, quants), da * Vector512.Create(dw[1]), r1);
        r2 = Avx512F.FusedMultiplyAdd(Lanes(x2.Abs, x2.Sign, quants), da * Vector512.Create(dw[2]), r2);
        r3 = Avx512F.FusedMultiplyAdd(Lanes(x3.Abs, x3.Sign, quants), da * Vector512.Create(dw[3]), r3);
    }

    /// <summary>Row k's pair of dots: token 2p (low half) to o[k], token 2p+1 (high half) to o[outStride + k].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* o, nint outStride, Vector512<float> r0, Vector512<float> r1, Vector512<float> r2, Vector512<float> r3)
    {
        Vector128.Create(GgmlX86BlockDot.HorizontalSum(r0.GetLower()), GgmlX86BlockDot.HorizontalSum(r1.GetLower()),
            GgmlX86BlockDot.HorizontalSum(r2.GetLower()), GgmlX86BlockDot.HorizontalSum(r3.GetLower())).Store(o);
        Vector128.Create(GgmlX86BlockDot.HorizontalSum(r0.GetUpper()), GgmlX86BlockDot.HorizontalSum(r1.GetUpper()),
            GgmlX86BlockDot.HorizontalSum(r2.GetUpper()), GgmlX86BlockDot.HorizontalSum(r3.GetUpper())).Store(o + outStride);
    }
}
