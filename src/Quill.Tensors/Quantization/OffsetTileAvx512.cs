// The AVX-512 four-row kernels of the K-quants with signed scales and a bsums-removed offset (Q3_K, Q6_K); each format's unpack is its IOffsetTileQuants.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// One such format as the four-row kernels see it: where d lies, the offset as a shift (2 for −4, 5 for −32), its
/// sixteen scales as shorts, and one block's unsigned quants as four 64-byte vectors in activation order (weights
/// 0..63, 64..127, 128..191, 192..255). The instances hold no state: their constants are written inline so the kernels keep them out of the stack.
/// </summary>
internal unsafe interface IOffsetTileQuants<TSelf> where TSelf : struct, IOffsetTileQuants<TSelf>
{
    static abstract int DeltaOffset { get; }

    static abstract byte OffsetShift { get; }

    /// <summary>
    /// Whether the offset comes off each vpmaddubsw pair sum before the scales (Q3_K: ggml's AVX2 dot subtracts
    /// vpmaddubsw(4, q8) per chunk, so its lanes hold weights 4j..4j+3 of every chunk), rather than as whole 16-weight
    /// groups through the bsums (Q6_K, as ggml's dot takes it).
    /// </summary>
    static abstract bool OffsetPerPair { get; }

    static abstract TSelf Create();

    static abstract Vector256<short> Scales(byte* x);

    void Unpack(byte* x, out Vector512<byte> q0, out Vector512<byte> q1, out Vector512<byte> q2, out Vector512<byte> q3);
}

/// <summary>
/// Each (row, token) pair gets exactly the integer lanes of the format's row dot at <see cref="SimdWidth.Vector512"/>
/// (eight exact sums per block with the offset removed through the bsums) and the same per-lane FMA accumulation and
/// final reduction; two pairs share a 512-bit accumulator (lanes never mix), so every output is bit for bit the row dot.
/// The weight unpack is done once per four tokens, activation loads once per four rows.
/// </summary>
internal static unsafe class OffsetTileAvx512<TQuants> where TQuants : struct, IOffsetTileQuants<TQuants>
{
    /// <summary>out[c·outStride + r] = Dot(weight row r, activation row c); block b of row k at w + b·blockStride + k·wStride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(byte* w, nint wStride, nint blockStride, byte* a, nint aStride, int blocks, float* output, nint outStride)
    {
        // Per weight row r: tokens 0,1 in accRa (low, high 256 bits), tokens 2,3 in accRb.
        Vector512<float> acc0a = default, acc0b = default, acc1a = default, acc1b = default;
        Vector512<float> acc2a = default, acc2b = default, acc3a = default, acc3b = default;
        Constants k = Constants.Create();
        Chunks* perToken = stackalloc Chunks[TQuants.OffsetPerPair ? 4 : 0];
        for (int b = 0; b < blocks; b++)
        {
            byte* x = w + b * blockStride;
            byte* y = a + b * Q8KBlock.BlockBytes;
            if (TQuants.OffsetPerPair)
                for (int t = 0; t < 4; t++) perToken[t] = Chunks.Load((sbyte*)(y + t * aStride + Q8KBlock.QuantsOffset));
            var tokens = new Tokens
            {
                PerToken = perToken,
                Y = y,
                Stride = aStride,
                Dy01 = Vector512.Create(Vector256.Create(Unsafe.ReadUnaligned<float>(y)), Vector256.Create(Unsafe.ReadUnaligned<float>(y + aStride))),
                Dy23 = Vector512.Create(Vector256.Create(Unsafe.ReadUnaligned<float>(y + 2 * aStride)),
                    Vector256.Create(Unsafe.ReadUnaligned<float>(y + 3 * aStride))),
                // The offset through the bsums; with OffsetPerPair it came off the pair sums (PerToken).
                Sums01 = TQuants.OffsetPerPair ? default : Vector512.Create(GroupSums(y), GroupSums(y + aStride)),
                Sums23 = TQuants.OffsetPerPair ? default : Vector512.Create(GroupSums(y + 2 * aStride), GroupSums(y + 3 * aStride)),
            };
            RowOfTile(x, tokens, k, ref acc0a, ref acc0b);
            RowOfTile(x + wStride, tokens, k, ref acc1a, ref acc1b);
            RowOfTile(x + 2 * wStride, tokens, k, ref acc2a, ref acc2b);
            RowOfTile(x + 3 * wStride, tokens, k, ref acc3a, ref acc3b);
        }
        StoreRow(output, outStride, acc0a, acc0b);
        StoreRow(output + 1, outStride, acc1a, acc1b);
        StoreRow(output + 2, outStride, acc2a, acc2b);
        StoreRow(output + 3, outStride, acc3a, acc3b);
    }

    /// <summary>out[r] = Dot(weight row r, the activation row) for r in 0..3: the decode-time shape.</summary>
    public static void Rows(byte* w, nint wStride, nint blockStride, byte* a, int blocks, float* output) =>
        RowsOver(w, wStride, blockStride, a, Q8KBlock.BlockBytes, Q8KBlock.QuantsOffset, 64, Q8KBlock.SumsOffset, 0, blocks, output);

    /// <summary>
    /// <see cref="Rows"/> over one token packed as a pair with itself by <see cref="KQuantPairPacking.Pack"/>:
    /// the 64 bytes at 128c + 32 are its quants 64c..64c+63 (the copy of chunk 2c, then chunk 2c+1).
    /// </summary>
    public static void PackedRows(byte* w, nint wStride, nint blockStride, byte* packed, int blocks, float* output) =>
        RowsOver(w, wStride, blockStride, packed, KQuantPairTileAvx512<OffsetPairWeights<Q6KTileAvx512>>.PairBlockBytes, 32, 128,
            KQuantPairTileAvx512<OffsetPairWeights<Q6KTileAvx512>>.SumsAt, KQuantPairTileAvx512<OffsetPairWeights<Q6KTileAvx512>>.DyAt,
            blocks, output);

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
        Vector512<float> acc01 = default, acc23 = default;
        TQuants quants = TQuants.Create();
        for (int b = 0; b < blocks; b++)
        {
            byte* x = w + b * blockStride;
            byte* y = a + b * aBlock;
            DecodePrefetch.Ahead(prefetch, x, blockStride);
            sbyte* q8 = (sbyte*)(y + quantsAt);
            var chunks = new Chunks
            {
                Y0 = Vector512.Load(q8),
                Y1 = Vector512.Load(q8 + quantsStride),
                Y2 = Vector512.Load(q8 + 2 * quantsStride),
                Y3 = Vector512.Load(q8 + 3 * quantsStride),
            };
            if (TQuants.OffsetPerPair) chunks.SetOffsets();
            Vector512<int> r0 = RowLanes(x, chunks, quants, out Vector256<short> sc0);
            Vector512<int> r1 = RowLanes(x + wStride, chunks, quants, out Vector256<short> sc1);
            Vector512<short> sums = Avx512DQ.BroadcastVector256ToVector512((int*)(y + sumsAt)).AsInt16();
            Vector512<int> sumi01 = Avx512Lanes.FoldPair(r0, r1);
            if (!TQuants.OffsetPerPair) sumi01 -= Offsets(sums, Avx512Lanes.Join(sc0, sc1));
            Vector512<int> r2 = RowLanes(x + 2 * wStride, chunks, quants, out Vector256<short> sc2);
            Vector512<int> r3 = RowLanes(x + 3 * wStride, chunks, quants, out Vector256<short> sc3);
            Vector512<int> sumi23 = Avx512Lanes.FoldPair(r2, r3);
            if (!TQuants.OffsetPerPair) sumi23 -= Offsets(sums, Avx512Lanes.Join(sc2, sc3));
            // Lane r: d_r·dy, the same single product the row dot forms.
            byte* delta = x + TQuants.DeltaOffset;
            Vector128<uint> halves = Vector128.Create((uint)Unsafe.ReadUnaligned<ushort>(delta), (uint)Unsafe.ReadUnaligned<ushort>(delta + wStride),
                (uint)Unsafe.ReadUnaligned<ushort>(delta + 2 * wStride), (uint)Unsafe.ReadUnaligned<ushort>(delta + 3 * wStride));
            Vector512<float> d = (Fp16Bits.ToSingle(halves) * Unsafe.ReadUnaligned<float>(y + dyAt)).ToVector256Unsafe().ToVector512Unsafe();
            acc01 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(d, Vector512.Create(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1)),
                Avx512F.ConvertToVector512Single(sumi01), acc01);
            acc23 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(d, Vector512.Create(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3)),
                Avx512F.ConvertToVector512Single(sumi23), acc23);
        }
        Vector128.Create(KQuant.Sum(acc01.GetLower()), KQuant.Sum(acc01.GetUpper()), KQuant.Sum(acc23.GetLower()), KQuant.Sum(acc23.GetUpper())).Store(output);
    }

    /// <summary>What the four tokens of a tile share within one block: their Q8_K blocks, scales and bsums (two tokens per vector).</summary>
    private struct Tokens
    {
        public byte* Y;
        public nint Stride;
        public Vector512<float> Dy01, Dy23;
        public Vector512<short> Sums01, Sums23;

        /// <summary>With <see cref="IOffsetTileQuants{TSelf}.OffsetPerPair"/>: token t's chunk c offsets at 4t + c.</summary>
        public Chunks* PerToken;
    }

    /// <summary>One token's block as four 64-byte chunks, and with <see cref="IOffsetTileQuants{TSelf}.OffsetPerPair"/> each chunk's pair offsets.</summary>
    private struct Chunks
    {
        public Vector512<sbyte> Y0, Y1, Y2, Y3;
        public Vector512<short> O0, O1, O2, O3;

        /// <summary>O_k = vpmaddubsw(offset, Y_k): what the offset 1 &lt;&lt; OffsetShift contributes to each pair sum.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void SetOffsets()
        {
            Vector512<byte> offset = Vector512.Create((byte)(1 << TQuants.OffsetShift));
            O0 = Avx512BW.MultiplyAddAdjacent(offset, Y0);
            O1 = Avx512BW.MultiplyAddAdjacent(offset, Y1);
            O2 = Avx512BW.MultiplyAddAdjacent(offset, Y2);
            O3 = Avx512BW.MultiplyAddAdjacent(offset, Y3);
        }

        /// <summary>The chunks of the Q8_K quants at q8.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Chunks Load(sbyte* q8)
        {
            var c = new Chunks { Y0 = Vector512.Load(q8), Y1 = Vector512.Load(q8 + 64), Y2 = Vector512.Load(q8 + 128), Y3 = Vector512.Load(q8 + 192) };
            if (TQuants.OffsetPerPair) c.SetOffsets();
            return c;
        }
    }

    /// <summary>The vpermw scale indices, and the format's own constants.</summary>
    private struct Constants
    {
        public Vector512<short> Pick0, Pick1, Pick2, Pick3;
        public TQuants Quants;

        public static Constants Create() => new()
        {
            Pick0 = Q6KBlock.QuadIndex(0),
            Pick1 = Q6KBlock.QuadIndex(4),
            Pick2 = Q6KBlock.QuadIndex(8),
            Pick3 = Q6KBlock.QuadIndex(12),
            Quants = TQuants.Create(),
        };
    }

    /// <summary>One weight row's block against the four tokens: unpacked once, then four integer dots.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowOfTile(byte* x, in Tokens t, in Constants k, ref Vector512<float> acc01, ref Vector512<float> acc23)
    {
        Unpack(x, k, out Vector512<byte> q0, out Vector512<byte> q1, out Vector512<byte> q2, out Vector512<byte> q3,
            out Vector512<short> s0, out Vector512<short> s1, out Vector512<short> s2, out Vector512<short> s3, out Vector256<short> sc16);
        Vector256<int> t0 = Lanes(q0, q1, q2, q3, s0, s1, s2, s3, t, 0);
        Vector256<int> t1 = Lanes(q0, q1, q2, q3, s0, s1, s2, s3, t, 1);
        Vector256<int> t2 = Lanes(q0, q1, q2, q3, s0, s1, s2, s3, t, 2);
        Vector256<int> t3 = Lanes(q0, q1, q2, q3, s0, s1, s2, s3, t, 3);
        Vector512<int> sumi01 = Vector512.Create(t0, t1), sumi23 = Vector512.Create(t2, t3);
        if (!TQuants.OffsetPerPair)
        {
            Vector512<short> scales = Vector512.Create(sc16);
            sumi01 -= Offsets(t.Sums01, scales);
            sumi23 -= Offsets(t.Sums23, scales);
        }
        Vector512<float> d = Vector512.Create(Fp16Bits.Load(x + TQuants.DeltaOffset));
        acc01 = Avx512F.FusedMultiplyAdd(d * t.Dy01, Avx512F.ConvertToVector512Single(sumi01), acc01);
        acc23 = Avx512F.FusedMultiplyAdd(d * t.Dy23, Avx512F.ConvertToVector512Single(sumi23), acc23);
    }

    /// <summary>
    /// One weight row's block against one token's loaded quants: the eight exact lanes (offset not yet removed), unfolded
    /// (low and high 256 bits still to be added), and the row's scales.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> RowLanes(byte* x, in Chunks y, TQuants quants, out Vector256<short> sc16)
    {
        sc16 = TQuants.Scales(x);
        Vector512<short> table = sc16.ToVector512Unsafe();
        Vector512<short> s0 = Avx512BW.PermuteVar32x16(table, Vector512.Create(0UL, 0UL, 0x0001_0001_0001_0001UL, 0x0001_0001_0001_0001UL,
            0x0002_0002_0002_0002UL, 0x0002_0002_0002_0002UL, 0x0003_0003_0003_0003UL, 0x0003_0003_0003_0003UL).AsInt16());
        Vector512<short> s1 = Avx512BW.PermuteVar32x16(table, Vector512.Create(0x0004_0004_0004_0004UL, 0x0004_0004_0004_0004UL, 0x0005_0005_0005_0005UL,
            0x0005_0005_0005_0005UL, 0x0006_0006_0006_0006UL, 0x0006_0006_0006_0006UL, 0x0007_0007_0007_0007UL, 0x0007_0007_0007_0007UL).AsInt16());
        Vector512<short> s2 = Avx512BW.PermuteVar32x16(table, Vector512.Create(0x0008_0008_0008_0008UL, 0x0008_0008_0008_0008UL, 0x0009_0009_0009_0009UL,
            0x0009_0009_0009_0009UL, 0x000A_000A_000A_000AUL, 0x000A_000A_000A_000AUL, 0x000B_000B_000B_000BUL, 0x000B_000B_000B_000BUL).AsInt16());
        Vector512<short> s3 = Avx512BW.PermuteVar32x16(table, Vector512.Create(0x000C_000C_000C_000CUL, 0x000C_000C_000C_000CUL, 0x000D_000D_000D_000DUL,
            0x000D_000D_000D_000DUL, 0x000E_000E_000E_000EUL, 0x000E_000E_000E_000EUL, 0x000F_000F_000F_000FUL, 0x000F_000F_000F_000FUL).AsInt16());
        quants.Unpack(x, out Vector512<byte> q0, out Vector512<byte> q1, out Vector512<byte> q2, out Vector512<byte> q3);
        return ScaledSum(q0, q1, q2, q3, y, s0, s1, s2, s3);
    }

    /// <summary>
    /// One block of one weight row: the unsigned quants as four 64-byte vectors in activation order (weights
    /// 0..63, 64..127, 128..191, 192..255), the matching per-16 scale vectors, and the sixteen signed scales as shorts.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Unpack(byte* x, in Constants k,
        out Vector512<byte> q0, out Vector512<byte> q1, out Vector512<byte> q2, out Vector512<byte> q3,
        out Vector512<short> s0, out Vector512<short> s1, out Vector512<short> s2, out Vector512<short> s3, out Vector256<short> sc16)
    {
        sc16 = TQuants.Scales(x);
        Vector512<short> table = sc16.ToVector512Unsafe();
        s0 = Avx512BW.PermuteVar32x16(table, k.Pick0);
        s1 = Avx512BW.PermuteVar32x16(table, k.Pick1);
        s2 = Avx512BW.PermuteVar32x16(table, k.Pick2);
        s3 = Avx512BW.PermuteVar32x16(table, k.Pick3);
        k.Quants.Unpack(x, out q0, out q1, out q2, out q3);
    }

    /// <summary>One row's unpacked block against tile token <paramref name="token"/>: the eight lanes, folded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Lanes(Vector512<byte> q0, Vector512<byte> q1, Vector512<byte> q2, Vector512<byte> q3,
        Vector512<short> s0, Vector512<short> s1, Vector512<short> s2, Vector512<short> s3, in Tokens t, int token)
    {
        Vector512<int> sumi = TQuants.OffsetPerPair
            ? ScaledSum(q0, q1, q2, q3, t.PerToken[token], s0, s1, s2, s3)
            : ScaledSum(q0, q1, q2, q3, Chunks.Load((sbyte*)(t.Y + token * t.Stride + Q8KBlock.QuantsOffset)), s0, s1, s2, s3);
        return Avx2.Add(sumi.GetLower(), sumi.GetUpper());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> ScaledSum(Vector512<byte> q0, Vector512<byte> q1, Vector512<byte> q2, Vector512<byte> q3, in Chunks y,
        Vector512<short> s0, Vector512<short> s1, Vector512<short> s2, Vector512<short> s3) =>
        TQuants.OffsetPerPair
            ? Avx512Lanes.ScaledSum(q0, q1, q2, q3, y.Y0, y.Y1, y.Y2, y.Y3, y.O0, y.O1, y.O2, y.O3, s0, s1, s2, s3)
            : Avx512Lanes.ScaledSum(q0, q1, q2, q3, y.Y0, y.Y1, y.Y2, y.Y3, s0, s1, s2, s3);

    /// <summary>The sixteen bsums of one Q8_K block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> GroupSums(byte* q8kBlock) => Avx.LoadVector256((short*)(q8kBlock + Q8KBlock.SumsOffset));

    /// <summary>k·(bsums[2l]·sc[2l] + bsums[2l+1]·sc[2l+1]) per lane l, for two pairs at once: what the offset k = 1 &lt;&lt; OffsetShift removes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Offsets(Vector512<short> sums, Vector512<short> scales) =>
        Avx512BW.MultiplyAddAdjacent(sums, scales) << TQuants.OffsetShift;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* o, nint outStride, Vector512<float> acc01, Vector512<float> acc23)
    {
        o[0] = KQuant.Sum(acc01.GetLower());
        o[outStride] = KQuant.Sum(acc01.GetUpper());
        o[2 * outStride] = KQuant.Sum(acc23.GetLower());
        o[3 * outStride] = KQuant.Sum(acc23.GetUpper());
    }
}
