// The AVX-512 four-row kernels of the K-quants with 6-bit scales and mins (Q4_K, Q5_K); each format's unpack is its IScaleMinTileQuants.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// One K-quant format with 6-bit scales and mins as the four-row kernels see it: where its packed scales lie and how
/// one block's quants unpack into four 64-byte vectors (sub-blocks 0|2, 1|3, 4|6, 5|7). The
/// instances hold no state: their constants are written inline so the kernels keep them out of the stack.
/// </summary>
internal unsafe interface IScaleMinTileQuants<TSelf> where TSelf : struct, IScaleMinTileQuants<TSelf>
{
    /// <summary>Byte offset of the twelve packed 6-bit scales and mins in a block (d at 0, dmin at 2).</summary>
    static abstract int ScalesOffset { get; }

    /// <summary>Whether the min term is one float chain per output (Q5_K, as ggml's dot keeps it) rather than four lanes (Q4_K).</summary>
    static abstract bool OneMinLane { get; }

    /// <summary>
    /// Whether the format sums in llama.cpp's repacked order (Q4_K, see <see cref="Q4KBlock.DotPairOrderReference"/>): one
    /// exact integer and one FMA per sub-block pair, rather than eight lanes per block.
    /// </summary>
    static abstract bool PairOrder { get; }

    static abstract TSelf Create();

    /// <summary>
    /// The quants in the order they lie in the block, no lane shuffles: sub-blocks 0|2, 1|3, 4|6, 5|7 (the low and
    /// high nibbles of each 32-byte chunk). The decode kernel shuffles the activations to match; the tiles pair them
    /// into activation order (<see cref="ScaleMinTileAvx512{TQuants}.InActivationOrder"/>).
    /// </summary>
    void UnpackSplit(byte* x, out Vector512<byte> q0, out Vector512<byte> q1, out Vector512<byte> q2, out Vector512<byte> q3);
}

/// <summary>
/// Each (row, token) pair gets exactly the integer lanes of the format's row dot at <see cref="SimdWidth.Vector512"/>
/// (eight exact sums per block, four exact min sums) and the same per-lane FMA accumulation and final reduction; two
/// pairs share a 512-bit accumulator (lanes never mix), so every output is bit for bit the row dot. The weight unpack
/// and scale shuffles are done once per four tokens, the activation loads once per four rows.
/// </summary>
internal static unsafe class ScaleMinTileAvx512<TQuants> where TQuants : struct, IScaleMinTileQuants<TQuants>
{
    /// <summary>out[c·outStride + r] = Dot(weight row r, activation row c); block b of row k at w + b·blockStride + k·wStride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(byte* w, nint wStride, nint blockStride, byte* a, nint aStride, int blocks, float* output, nint outStride)
    {
        Debug.Assert(!TQuants.PairOrder, "pair-order formats batch through their pair tile");
        // Per weight row r: tokens 0,1 in accRa (low, high 256 bits), tokens 2,3 in accRb, the min terms of tokens 0..3 in minR.
        Vector512<float> acc0a = default, acc0b = default, acc1a = default, acc1b = default;
        Vector512<float> acc2a = default, acc2b = default, acc3a = default, acc3b = default;
        Vector512<float> min0 = default, min1 = default, min2 = default, min3 = default;
        Shuffles picks = Shuffles.Create();
        for (int b = 0; b < blocks; b++)
        {
            byte* x = w + b * blockStride;
            byte* y = a + b * Q8KBlock.BlockBytes;
            float dy0 = Unsafe.ReadUnaligned<float>(y), dy1 = Unsafe.ReadUnaligned<float>(y + aStride);
            float dy2 = Unsafe.ReadUnaligned<float>(y + 2 * aStride), dy3 = Unsafe.ReadUnaligned<float>(y + 3 * aStride);
            var tokens = new Tokens
            {
                Y = y,
                Stride = aStride,
                Dy01 = Vector512.Create(Vector256.Create(dy0), Vector256.Create(dy1)),
                Dy23 = Vector512.Create(Vector256.Create(dy2), Vector256.Create(dy3)),
                DyQuads = Vector512.Create(Vector256.Create(Vector128.Create(dy0), Vector128.Create(dy1)),
                    Vector256.Create(Vector128.Create(dy2), Vector128.Create(dy3))),
                Pairs = Vector512.Create(Vector256.Create(KQuant.PairSums(y), KQuant.PairSums(y + aStride)),
                    Vector256.Create(KQuant.PairSums(y + 2 * aStride), KQuant.PairSums(y + 3 * aStride))),
            };
            RowOfTile(x, tokens, picks, ref acc0a, ref acc0b, ref min0);
            RowOfTile(x + wStride, tokens, picks, ref acc1a, ref acc1b, ref min1);
            RowOfTile(x + 2 * wStride, tokens, picks, ref acc2a, ref acc2b, ref min2);
            RowOfTile(x + 3 * wStride, tokens, picks, ref acc3a, ref acc3b, ref min3);
        }
        StoreRow(output, outStride, acc0a, acc0b, min0);
        StoreRow(output + 1, outStride, acc1a, acc1b, min1);
        StoreRow(output + 2, outStride, acc2a, acc2b, min2);
        StoreRow(output + 3, outStride, acc3a, acc3b, min3);
    }

    /// <summary>out[r] = Dot(weight row r, the activation row) for r in 0..3: the decode-time shape.</summary>
    public static void Rows(byte* w, nint wStride, nint blockStride, byte* a, int blocks, float* output)
    {
        if (TQuants.PairOrder)
            RowsInPairs(w, wStride, blockStride, a, Q8KBlock.BlockBytes, Q8KBlock.QuantsOffset, 64, Q8KBlock.SumsOffset, 0, blocks, output);
        else
            RowsOver(w, wStride, blockStride, a, Q8KBlock.BlockBytes, Q8KBlock.QuantsOffset, 64, Q8KBlock.SumsOffset, 0, blocks, output);
    }

    /// <summary>
    /// <see cref="Rows"/> over one token packed as a pair with itself by <see cref="KQuantPairPacking.Pack"/>:
    /// the 64 bytes at 128c + 32 are its quants 64c..64c+63 (the copy of chunk 2c, then chunk 2c+1).
    /// </summary>
    public static void PackedRows(byte* w, nint wStride, nint blockStride, byte* packed, int blocks, float* output)
    {
        const int pairBlock = KQuantPairPacking.PairBlockBytes, sumsAt = KQuantPairPacking.SumsAt, dyAt = KQuantPairPacking.DyAt;
        if (TQuants.PairOrder)
            RowsInPairs(w, wStride, blockStride, packed, pairBlock, 32, 128, sumsAt, dyAt, blocks, output);
        else
            RowsOver(w, wStride, blockStride, packed, pairBlock, 32, 128, sumsAt, dyAt, blocks, output);
    }

    /// <summary>
    /// The decode kernel over activation blocks of any layout: aBlock bytes apart, the quants 64 at a time quantsStride
    /// apart from quantsAt, bsums and dy where given.
    /// </summary>
    // Never inlined into the thin entry points: inlined there at tier 1, its own helpers stopped being inlined (decode 1.6× slower).
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void RowsOver(byte* w, nint wStride, nint blockStride, byte* a, nint aBlock, nint quantsAt, nint quantsStride, nint sumsAt, nint dyAt,
        int blocks, float* output)
    {
        bool prefetch = DecodePrefetch.Enabled;
        Vector512<float> acc01 = default, acc23 = default, mins = default;
        TQuants quants = TQuants.Create();
        for (int b = 0; b < blocks; b++)
        {
            byte* x = w + b * blockStride;
            byte* y = a + b * aBlock;
            DecodePrefetch.Ahead(prefetch, x, blockStride);
            SplitActivations((sbyte*)(y + quantsAt), quantsStride, out Vector512<sbyte> y0, out Vector512<sbyte> y1, out Vector512<sbyte> y2,
                out Vector512<sbyte> y3);
            RowTables(x, wStride, out Vector512<int> scales, out Vector512<short> rowMins);
            Vector512<int> r0 = RowLanes(x, y0, y1, y2, y3, Avx512F.Shuffle4x128(scales, scales, 0x00).AsByte(), quants);
            Vector512<int> r1 = RowLanes(x + wStride, y0, y1, y2, y3, Avx512F.Shuffle4x128(scales, scales, 0x55).AsByte(), quants);
            Vector512<int> sumi01 = Avx512Lanes.FoldPair(r0, r1);
            Vector512<int> r2 = RowLanes(x + 2 * wStride, y0, y1, y2, y3, Avx512F.Shuffle4x128(scales, scales, 0xAA).AsByte(), quants);
            Vector512<int> r3 = RowLanes(x + 3 * wStride, y0, y1, y2, y3, Avx512F.Shuffle4x128(scales, scales, 0xFF).AsByte(), quants);
            Vector512<int> sumi23 = Avx512Lanes.FoldPair(r2, r3);
            // Lanes 2r, 2r+1: d_r·dy and dmin_r·dy, the same single products the row dot forms.
            Vector128<uint> halves = Vector128.Create(Unsafe.ReadUnaligned<uint>(x), Unsafe.ReadUnaligned<uint>(x + wStride),
                Unsafe.ReadUnaligned<uint>(x + 2 * wStride), Unsafe.ReadUnaligned<uint>(x + 3 * wStride));
            Vector512<float> d = (Fp16Bits.ToSingle(Avx2.ConvertToVector256Int32(halves.AsUInt16()).AsUInt32())
                * Unsafe.ReadUnaligned<float>(y + dyAt)).ToVector512Unsafe();
            acc01 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(d, Vector512.Create(0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2)),
                Avx512F.ConvertToVector512Single(sumi01), acc01);
            acc23 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(d, Vector512.Create(4, 4, 4, 4, 4, 4, 4, 4, 6, 6, 6, 6, 6, 6, 6, 6)),
                Avx512F.ConvertToVector512Single(sumi23), acc23);
            Vector512<int> minSums = MinLanes(Avx512BW.MultiplyAddAdjacent(rowMins, Avx512Lanes.Broadcast(KQuant.PairSums(y + sumsAt - Q8KBlock.SumsOffset))));
            mins = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(d, Vector512.Create(1, 1, 1, 1, 3, 3, 3, 3, 5, 5, 5, 5, 7, 7, 7, 7)),
                Avx512F.ConvertToVector512Single(minSums), mins);
        }
        Vector128.Create(
            Result(acc01.GetLower(), mins.GetLower().GetLower()),
            Result(acc01.GetUpper(), mins.GetLower().GetUpper()),
            Result(acc23.GetLower(), mins.GetUpper().GetLower()),
            Result(acc23.GetUpper(), mins.GetUpper().GetUpper())).Store(output);
    }

    /// <summary>
    /// <see cref="RowsOver"/> in pair order (<see cref="IScaleMinTileQuants{TSelf}.PairOrder"/>): per block each row's
    /// lanes are kept apart by sub-block pair, folded into a vector holding pair c of row r at lane 4c + r, and the four
    /// pairs go in turn into the rows' FMA chains, as do the min sums, transposed to the same lanes. The chains take the
    /// previous block's sums while this block's integer work runs: in the same step they waited on it (decode 40 → 28
    /// tok/s on TinyLlama Q4_K_M, one thread).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void RowsInPairs(byte* w, nint wStride, nint blockStride, byte* a, nint aBlock, nint quantsAt, nint quantsStride, nint sumsAt,
        nint dyAt, int blocks, float* output)
    {
        bool prefetch = DecodePrefetch.Enabled;
        Vector128<float> acc = default, accMin = default;
        TQuants quants = TQuants.Create();
        PairSums previous = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* x = w + b * blockStride;
            DecodePrefetch.Ahead(prefetch, x, blockStride);
            PairSums current = BlockInPairs(x, wStride, a + b * aBlock, quantsAt, quantsStride, sumsAt, dyAt, quants);
            if (b > 0) previous.Chain(ref acc, ref accMin);
            previous = current;
        }
        if (blocks > 0) previous.Chain(ref acc, ref accMin);
        (acc - accMin).Store(output);
    }

    /// <summary>One block of four rows in pair order: the sums and min sums (pair c of row r at lane 4c + r) and the rows' d·dy, dmin·dy.</summary>
    private struct PairSums
    {
        public Vector512<float> Sums, Mins;
        public Vector128<float> D, Dmin;

        /// <summary>The four pairs into the rows' chains, in pair order.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Chain(ref Vector128<float> acc, ref Vector128<float> accMin)
        {
            acc = Fma.MultiplyAdd(Sums.GetLower().GetLower(), D, acc);
            accMin = Fma.MultiplyAdd(Mins.GetLower().GetLower(), Dmin, accMin);
            acc = Fma.MultiplyAdd(Sums.GetLower().GetUpper(), D, acc);
            accMin = Fma.MultiplyAdd(Mins.GetLower().GetUpper(), Dmin, accMin);
            acc = Fma.MultiplyAdd(Sums.GetUpper().GetLower(), D, acc);
            accMin = Fma.MultiplyAdd(Mins.GetUpper().GetLower(), Dmin, accMin);
            acc = Fma.MultiplyAdd(Sums.GetUpper().GetUpper(), D, acc);
            accMin = Fma.MultiplyAdd(Mins.GetUpper().GetUpper(), Dmin, accMin);
        }
    }

    /// <summary>The integer work of one block of four rows in pair order (see <see cref="RowsInPairs"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static PairSums BlockInPairs(byte* x, nint wStride, byte* y, nint quantsAt, nint quantsStride, nint sumsAt, nint dyAt, TQuants quants)
    {
        SplitActivations((sbyte*)(y + quantsAt), quantsStride, out Vector512<sbyte> y0, out Vector512<sbyte> y1, out Vector512<sbyte> y2,
            out Vector512<sbyte> y3);
        RowTables(x, wStride, out Vector512<int> scales, out Vector512<short> rowMins);
        Vector512<int> v0 = PairLanes(x, y0, y1, y2, y3, Avx512F.Shuffle4x128(scales, scales, 0x00).AsByte(), quants);
        Vector512<int> v1 = PairLanes(x + wStride, y0, y1, y2, y3, Avx512F.Shuffle4x128(scales, scales, 0x55).AsByte(), quants);
        Vector512<int> v2 = PairLanes(x + 2 * wStride, y0, y1, y2, y3, Avx512F.Shuffle4x128(scales, scales, 0xAA).AsByte(), quants);
        Vector512<int> v3 = PairLanes(x + 3 * wStride, y0, y1, y2, y3, Avx512F.Shuffle4x128(scales, scales, 0xFF).AsByte(), quants);
        Vector512<int> minSums = Avx512BW.MultiplyAddAdjacent(rowMins, Avx512Lanes.Broadcast(KQuant.PairSums(y + sumsAt - Q8KBlock.SumsOffset)));
        Vector128<uint> halves = Vector128.Create(Unsafe.ReadUnaligned<uint>(x), Unsafe.ReadUnaligned<uint>(x + wStride),
            Unsafe.ReadUnaligned<uint>(x + 2 * wStride), Unsafe.ReadUnaligned<uint>(x + 3 * wStride));
        // Lanes 2r, 2r+1: d_r·dy and dmin_r·dy, the same single products the row dot forms.
        Vector256<float> dd = Fp16Bits.ToSingle(Avx2.ConvertToVector256Int32(halves.AsUInt16()).AsUInt32()) * Unsafe.ReadUnaligned<float>(y + dyAt);
        return new PairSums
        {
            Sums = Avx512F.ConvertToVector512Single(Avx512Lanes.SumFours(v0, v1, v2, v3)),
            // Lane 4c + r: min pair c of row r, which the vpmaddwd leaves at lane 4r + c.
            Mins = Avx512F.ConvertToVector512Single(Avx512F.PermuteVar16x32(minSums, Vector512.Create(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15))),
            D = Avx2.PermuteVar8x32(dd, Vector256.Create(0, 2, 4, 6, 0, 2, 4, 6)).GetLower(),
            Dmin = Avx2.PermuteVar8x32(dd, Vector256.Create(1, 3, 5, 7, 1, 3, 5, 7)).GetLower(),
        };
    }

    /// <summary>
    /// One weight row's block against one token's loaded quants, both in split order: the lanes of sub-block pair c in
    /// 128-bit lane c, four partial sums each (exact).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> PairLanes(byte* x, Vector512<sbyte> y0, Vector512<sbyte> y1, Vector512<sbyte> y2, Vector512<sbyte> y3,
        Vector512<byte> scales, TQuants quants)
    {
        quants.UnpackSplit(x, out Vector512<byte> q0, out Vector512<byte> q1, out Vector512<byte> q2, out Vector512<byte> q3);
        SplitScales(scales, out Vector512<short> s0, out Vector512<short> s1, out Vector512<short> s2, out Vector512<short> s3);
        // Sub-blocks 0|2 plus 1|3: pair 0 in the low 256 bits, pair 1 in the high; 4|6 plus 5|7 likewise for pairs 2, 3.
        Vector512<int> first = Avx512F.Add(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q0, y0), s0),
            Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q1, y1), s1));
        Vector512<int> second = Avx512F.Add(Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q2, y2), s2),
            Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q3, y3), s3));
        return Avx512F.Add(Avx512F.Shuffle4x128(first, second, 0x88), Avx512F.Shuffle4x128(first, second, 0xDD));
    }

    /// <summary>
    /// One token's block as four 64-byte vectors in the weights' split order (sub-blocks 0|2, 1|3, 4|6, 5|7), its quants
    /// 64 at a time <paramref name="quantsStride"/> apart: four shuffles shared by the four rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SplitActivations(sbyte* q8, nint quantsStride, out Vector512<sbyte> y0, out Vector512<sbyte> y1, out Vector512<sbyte> y2,
        out Vector512<sbyte> y3)
    {
        Vector512<sbyte> y01 = Vector512.Load(q8), y23 = Vector512.Load(q8 + quantsStride), y45 = Vector512.Load(q8 + 2 * quantsStride),
            y67 = Vector512.Load(q8 + 3 * quantsStride);
        y0 = Avx512F.Shuffle4x128(y01.AsInt64(), y23.AsInt64(), 0x44).AsSByte();
        y1 = Avx512F.Shuffle4x128(y01.AsInt64(), y23.AsInt64(), 0xEE).AsSByte();
        y2 = Avx512F.Shuffle4x128(y45.AsInt64(), y67.AsInt64(), 0x44).AsSByte();
        y3 = Avx512F.Shuffle4x128(y45.AsInt64(), y67.AsInt64(), 0xEE).AsSByte();
    }

    /// <summary>Lane r: row r's eight scales (as dwords of shorts for the scale shuffles) and its eight mins, as shorts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowTables(byte* x, nint wStride, out Vector512<int> scales, out Vector512<short> rowMins)
    {
        Vector512<byte> sm = ScaleMins(x + TQuants.ScalesOffset, wStride);
        scales = Avx512BW.UnpackLow(sm, Vector512<byte>.Zero).AsInt32();
        rowMins = Avx512BW.UnpackHigh(sm, Vector512<byte>.Zero).AsInt16();
    }

    /// <summary>
    /// The twelve packed 6-bit scales and mins of four rows (at p + r·wStride) unpacked as <see cref="KQuant.UnpackScaleMin"/>
    /// does, row r in 128-bit lane r: its eight scales, then its eight mins, as bytes. Reads sixteen bytes per row (the
    /// four after the table are the block's own quants).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> ScaleMins(byte* p, nint wStride)
    {
        Vector512<uint> raw = Vector128.Load((uint*)p).ToVector256Unsafe().ToVector512Unsafe();
        raw = Avx512F.InsertVector128(raw, Vector128.Load((uint*)(p + wStride)), 1);
        raw = Avx512F.InsertVector128(raw, Vector128.Load((uint*)(p + 2 * wStride)), 2);
        raw = Avx512F.InsertVector128(raw, Vector128.Load((uint*)(p + 3 * wStride)), 3);
        // Per lane, from words u0 u1 u2: s0 = u0 & 0x3F.., s1 = (u2 & 0x0F..) | ((u0 >> 2) & 0x30..),
        // m0 = u1 & 0x3F.., m1 = ((u2 >> 4) & 0x0F..) | ((u1 >> 2) & 0x30..).
        Vector512<uint> low = Avx512F.ShiftRightLogicalVariable(Avx512F.Shuffle(raw, 0x98),
            Vector512.Create(0u, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4));
        Vector512<uint> high = Avx512F.ShiftRightLogical(Avx512F.Shuffle(raw, 0x50), 2);
        Vector512<uint> lowMask = Vector512.Create(0x3F3F3F3Fu, 0x0F0F0F0Fu, 0x3F3F3F3Fu, 0x0F0F0F0Fu, 0x3F3F3F3Fu, 0x0F0F0F0Fu, 0x3F3F3F3Fu, 0x0F0F0F0Fu,
            0x3F3F3F3Fu, 0x0F0F0F0Fu, 0x3F3F3F3Fu, 0x0F0F0F0Fu, 0x3F3F3F3Fu, 0x0F0F0F0Fu, 0x3F3F3F3Fu, 0x0F0F0F0Fu);
        Vector512<uint> highMask = Vector512.Create(0u, 0x30303030u, 0u, 0x30303030u, 0u, 0x30303030u, 0u, 0x30303030u,
            0u, 0x30303030u, 0u, 0x30303030u, 0u, 0x30303030u, 0u, 0x30303030u);
        return Avx512F.Or(Avx512F.And(low, lowMask), Avx512F.And(high, highMask)).AsByte();
    }

    /// <summary>What the four tokens of a tile share within one block: their Q8_K blocks, scales and bsum pairs.</summary>
    private struct Tokens
    {
        public byte* Y;
        public nint Stride;
        public Vector512<float> Dy01, Dy23, DyQuads;
        public Vector512<short> Pairs;
    }

    /// <summary>The vpshufb masks picking scale 2k (low 256 bits) and 2k+1 (high 256 bits), as in the row dot, and the format's own constants.</summary>
    private struct Shuffles
    {
        public Vector512<byte> P01, P23, P45, P67;
        public TQuants Quants;

        public static Shuffles Create() => new()
        {
            P01 = Q4KBlock.ShortBroadcast512(0, 1),
            P23 = Q4KBlock.ShortBroadcast512(2, 3),
            P45 = Q4KBlock.ShortBroadcast512(4, 5),
            P67 = Q4KBlock.ShortBroadcast512(6, 7),
            Quants = TQuants.Create(),
        };
    }

    /// <summary>One weight row's block against the four tokens: unpacked once, then four integer dots.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowOfTile(byte* x, in Tokens t, in Shuffles picks, ref Vector512<float> acc01, ref Vector512<float> acc23, ref Vector512<float> mins)
    {
        Unpack(x, picks, out Vector512<byte> q0, out Vector512<byte> q1, out Vector512<byte> q2, out Vector512<byte> q3,
            out Vector512<short> s0, out Vector512<short> s1, out Vector512<short> s2, out Vector512<short> s3, out Vector128<short> rowMins);
        Vector256<int> t0 = Lanes(q0, q1, q2, q3, s0, s1, s2, s3, (sbyte*)(t.Y + Q8KBlock.QuantsOffset));
        Vector256<int> t1 = Lanes(q0, q1, q2, q3, s0, s1, s2, s3, (sbyte*)(t.Y + t.Stride + Q8KBlock.QuantsOffset));
        Vector256<int> t2 = Lanes(q0, q1, q2, q3, s0, s1, s2, s3, (sbyte*)(t.Y + 2 * t.Stride + Q8KBlock.QuantsOffset));
        Vector256<int> t3 = Lanes(q0, q1, q2, q3, s0, s1, s2, s3, (sbyte*)(t.Y + 3 * t.Stride + Q8KBlock.QuantsOffset));
        Vector512<float> d = Vector512.Create(Fp16Bits.Load(x)), dmin = Vector512.Create(Fp16Bits.Load(x + 2));
        acc01 = Avx512F.FusedMultiplyAdd(d * t.Dy01, Avx512F.ConvertToVector512Single(Vector512.Create(t0, t1)), acc01);
        acc23 = Avx512F.FusedMultiplyAdd(d * t.Dy23, Avx512F.ConvertToVector512Single(Vector512.Create(t2, t3)), acc23);
        Vector512<int> minSums = MinLanes(Avx512BW.MultiplyAddAdjacent(Vector512.Create(rowMins), t.Pairs));
        mins = Avx512F.FusedMultiplyAdd(dmin * t.DyQuads, Avx512F.ConvertToVector512Single(minSums), mins);
    }

    /// <summary>
    /// One weight row's block against one token's loaded quants, both in split order (sub-blocks 0|2, 1|3, 4|6, 5|7):
    /// the eight exact lanes, unfolded (low and high 256 bits still to be added). Lane j of either half holds weights
    /// 4j..4j+3 of a sub-block times its scale, so once folded the lanes are the integers of the row dot. scales holds
    /// the row's eight scales as shorts in every 128-bit lane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> RowLanes(byte* x, Vector512<sbyte> y0, Vector512<sbyte> y1, Vector512<sbyte> y2, Vector512<sbyte> y3,
        Vector512<byte> scales, TQuants quants)
    {
        quants.UnpackSplit(x, out Vector512<byte> q0, out Vector512<byte> q1, out Vector512<byte> q2, out Vector512<byte> q3);
        SplitScales(scales, out Vector512<short> s0, out Vector512<short> s1, out Vector512<short> s2, out Vector512<short> s3);
        return Avx512Lanes.ScaledSum(q0, q1, q2, q3, y0, y1, y2, y3, s0, s1, s2, s3);
    }

    /// <summary>A row's eight scales (shorts in every 128-bit lane) as the scale vectors of the split order's four quant vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SplitScales(Vector512<byte> scales, out Vector512<short> s0, out Vector512<short> s1, out Vector512<short> s2,
        out Vector512<short> s3)
    {
        // The vpshufb masks picking the scales of the two sub-blocks of each vector: 0|2, 1|3, 4|6, 5|7.
        s0 = Avx512BW.Shuffle(scales, Vector512.Create(0x0100010001000100UL, 0x0100010001000100UL, 0x0100010001000100UL,
            0x0100010001000100UL, 0x0504050405040504UL, 0x0504050405040504UL, 0x0504050405040504UL, 0x0504050405040504UL).AsByte()).AsInt16();
        s1 = Avx512BW.Shuffle(scales, Vector512.Create(0x0302030203020302UL, 0x0302030203020302UL, 0x0302030203020302UL,
            0x0302030203020302UL, 0x0706070607060706UL, 0x0706070607060706UL, 0x0706070607060706UL, 0x0706070607060706UL).AsByte()).AsInt16();
        s2 = Avx512BW.Shuffle(scales, Vector512.Create(0x0908090809080908UL, 0x0908090809080908UL, 0x0908090809080908UL,
            0x0908090809080908UL, 0x0D0C0D0C0D0C0D0CUL, 0x0D0C0D0C0D0C0D0CUL, 0x0D0C0D0C0D0C0D0CUL, 0x0D0C0D0C0D0C0D0CUL).AsByte()).AsInt16();
        s3 = Avx512BW.Shuffle(scales, Vector512.Create(0x0B0A0B0A0B0A0B0AUL, 0x0B0A0B0A0B0A0B0AUL, 0x0B0A0B0A0B0A0B0AUL,
            0x0B0A0B0A0B0A0B0AUL, 0x0F0E0F0E0F0E0F0EUL, 0x0F0E0F0E0F0E0F0EUL, 0x0F0E0F0E0F0E0F0EUL, 0x0F0E0F0E0F0E0F0EUL).AsByte()).AsInt16();
    }

    /// <summary>
    /// One block of one weight row: the quants as four 64-byte vectors in activation order (sub-blocks 0|1, 2|3,
    /// 4|5, 6|7), the matching scale vectors, and the eight mins as shorts.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Unpack(byte* x, in Shuffles picks,
        out Vector512<byte> q0, out Vector512<byte> q1, out Vector512<byte> q2, out Vector512<byte> q3,
        out Vector512<short> s0, out Vector512<short> s1, out Vector512<short> s2, out Vector512<short> s3, out Vector128<short> rowMins)
    {
        Vector128<byte> sm = KQuant.UnpackScaleMin(x + TQuants.ScalesOffset);
        Vector256<short> sm16 = Avx2.ConvertToVector256Int16(sm);
        Vector512<byte> scales = Vector512.Create(sm16.GetLower().AsByte());
        s0 = Avx512BW.Shuffle(scales, picks.P01).AsInt16();
        s1 = Avx512BW.Shuffle(scales, picks.P23).AsInt16();
        s2 = Avx512BW.Shuffle(scales, picks.P45).AsInt16();
        s3 = Avx512BW.Shuffle(scales, picks.P67).AsInt16();
        rowMins = sm16.GetUpper();
        InActivationOrder(picks.Quants, x, out q0, out q1, out q2, out q3);
    }

    /// <summary>One block's quants in activation order (sub-blocks 0|1, 2|3, 4|5, 6|7): the split order, paired up.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void InActivationOrder(TQuants quants, byte* x,
        out Vector512<byte> q0, out Vector512<byte> q1, out Vector512<byte> q2, out Vector512<byte> q3)
    {
        quants.UnpackSplit(x, out Vector512<byte> q02, out Vector512<byte> q13, out Vector512<byte> q46, out Vector512<byte> q57);
        q0 = Q4KBlock.Pair(q02, q13, 0x44);
        q1 = Q4KBlock.Pair(q02, q13, 0xEE);
        q2 = Q4KBlock.Pair(q46, q57, 0x44);
        q3 = Q4KBlock.Pair(q46, q57, 0xEE);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Lanes(Vector512<byte> q0, Vector512<byte> q1, Vector512<byte> q2, Vector512<byte> q3,
        Vector512<short> s0, Vector512<short> s1, Vector512<short> s2, Vector512<short> s3, sbyte* q8)
    {
        Vector512<int> sumi = Avx512F.Add(
            Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q0, Avx512BW.LoadVector512(q8)), s0),
            Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q1, Avx512BW.LoadVector512(q8 + 64)), s1));
        sumi = Avx512F.Add(sumi, Avx512F.Add(
            Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q2, Avx512BW.LoadVector512(q8 + 128)), s2),
            Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q3, Avx512BW.LoadVector512(q8 + 192)), s3)));
        return Avx2.Add(sumi.GetLower(), sumi.GetUpper());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* o, nint outStride, Vector512<float> acc01, Vector512<float> acc23, Vector512<float> mins)
    {
        o[0] = Result(acc01.GetLower(), mins.GetLower().GetLower());
        o[outStride] = Result(acc01.GetUpper(), mins.GetLower().GetUpper());
        o[2 * outStride] = Result(acc23.GetLower(), mins.GetUpper().GetLower());
        o[3 * outStride] = Result(acc23.GetUpper(), mins.GetUpper().GetUpper());
    }

    /// <summary>Four outputs' min lanes (one per 128-bit lane), each summed into its lane 0 where the format keeps one min chain.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<int> MinLanes(Vector512<int> lanes) => TQuants.OneMinLane ? KQuant.IntoLaneZero(lanes) : lanes;

    /// <summary>The row dot's final reduction, verbatim.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Result(Vector256<float> acc, Vector128<float> accMin) => KQuant.Sum(acc) - KQuant.Sum(accMin);
}
