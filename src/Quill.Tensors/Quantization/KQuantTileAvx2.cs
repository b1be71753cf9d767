// The AVX2 row dot of Q4_K, Q5_K and Q6_K and their 4×4 prompt tile (machines whose widest level is AVX2: Zen 3,
// Haswell..Alder Lake), sharing each format's unpack, its IKQuantAvx2Quants.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// One K-quant format as the AVX2 kernels see it: a block is eight chunks of 32 weights (chunk j is weights
/// 32j..32j+31, against activation bytes 32j..32j+31), each unpacked to unsigned bytes with a vector of 16 scale shorts
/// for vpmaddwd. Formats with mins
/// (Q4_K, Q5_K: d at 0, dmin at 2) add a float min term; the others (Q6_K) remove an integer offset through the bsums.
/// </summary>
internal unsafe interface IKQuantAvx2Quants
{
    /// <summary>Whether the format has 6-bit mins (Q4_K, Q5_K) rather than an offset (Q6_K).</summary>
    static abstract bool HasMin { get; }

    /// <summary>Whether the min term is one float chain (Q5_K, as ggml's dot keeps it) rather than four lanes (Q4_K).</summary>
    static abstract bool OneMinLane { get; }

    /// <summary>Bytes per 256-weight block.</summary>
    static abstract int BlockBytes { get; }

    /// <summary>Byte offset of the block's fp16 d.</summary>
    static abstract int DeltaOffset { get; }

    /// <summary>The block's scale table as the chunk scales are picked from it; for formats with mins, the eight mins as shorts.</summary>
    static abstract Vector256<byte> Scales(byte* x, out Vector128<short> mins);

    /// <summary>The unsigned quants of chunk <paramref name="j"/> (a constant once inlined).</summary>
    static abstract Vector256<byte> Quants(byte* x, int j);

    /// <summary>The 16 scale shorts that multiply chunk <paramref name="j"/>'s vpmaddubsw pairs.</summary>
    static abstract Vector256<short> ChunkScales(Vector256<byte> scales, int j);

    /// <summary>The integer lanes subtracted from the block's sums (the offset through the bsums of the Q8_K block at y); zero with mins.</summary>
    static abstract Vector256<int> Offset(Vector256<byte> scales, byte* y);
}

/// <summary>
/// The format's AVX2 row dot (<see cref="Row"/>, the format's <c>Dot</c> at <see cref="SimdWidth.Vector256"/>) and its
/// prompt tile. Each (row, token) pair gets the same eight integer lanes (lane i: weights 4i..4i+3 of every chunk times
/// their scales), the same per-lane FMA accumulation in block order and the same final reduction, so every tile output
/// is bit for bit the row dot. The tile unpacks a weight block once per four tokens; decoding runs the row dot row by
/// row (see QuantFormats.KQuants.cs).
/// </summary>
internal static unsafe class KQuantTileAvx2<TQuants> where TQuants : struct, IKQuantAvx2Quants
{
    /// <summary>out[c·outStride + r] = Dot(weight row r, activation row c); block b of row k at w + b·blockStride + k·wStride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(byte* w, nint wStride, nint blockStride, byte* a, nint aStride, int blocks, float* output, nint outStride)
    {
        // Pair (r, t) accumulates in acc[4r + t] and, with mins, mins[4r + t]; memory, not registers: the unpack needs them.
        Vector256<float>* acc = stackalloc Vector256<float>[16];
        Vector128<float>* mins = stackalloc Vector128<float>[16];
        for (int i = 0; i < 16; i++)
        {
            acc[i] = default;
            mins[i] = default;
        }
        Vector128<short>* pairs = stackalloc Vector128<short>[4];
        float* dy = stackalloc float[4];
        for (int b = 0; b < blocks; b++)
        {
            byte* y = a + b * Q8KBlock.BlockBytes;
            for (int t = 0; t < 4; t++)
            {
                dy[t] = Unsafe.ReadUnaligned<float>(y + t * aStride);
                if (TQuants.HasMin) pairs[t] = KQuant.PairSums(y + t * aStride);
            }
            for (int r = 0; r < 4; r++)
            {
                byte* x = w + b * blockStride + r * wStride;
                Vector256<byte> scales = TQuants.Scales(x, out Vector128<short> rowMins);
                Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default;
                if (!TQuants.HasMin)
                {
                    s0 = Avx2.Subtract(s0, TQuants.Offset(scales, y));
                    s1 = Avx2.Subtract(s1, TQuants.Offset(scales, y + aStride));
                    s2 = Avx2.Subtract(s2, TQuants.Offset(scales, y + 2 * aStride));
                    s3 = Avx2.Subtract(s3, TQuants.Offset(scales, y + 3 * aStride));
                }
                sbyte* q8 = (sbyte*)(y + Q8KBlock.QuantsOffset);
                // Written out so each chunk's shifts, masks and shuffles are constants.
                ChunkOfTile(TQuants.Quants(x, 0), TQuants.ChunkScales(scales, 0), q8, aStride, ref s0, ref s1, ref s2, ref s3);
                ChunkOfTile(TQuants.Quants(x, 1), TQuants.ChunkScales(scales, 1), q8 + 32, aStride, ref s0, ref s1, ref s2, ref s3);
                ChunkOfTile(TQuants.Quants(x, 2), TQuants.ChunkScales(scales, 2), q8 + 64, aStride, ref s0, ref s1, ref s2, ref s3);
                ChunkOfTile(TQuants.Quants(x, 3), TQuants.ChunkScales(scales, 3), q8 + 96, aStride, ref s0, ref s1, ref s2, ref s3);
                ChunkOfTile(TQuants.Quants(x, 4), TQuants.ChunkScales(scales, 4), q8 + 128, aStride, ref s0, ref s1, ref s2, ref s3);
                ChunkOfTile(TQuants.Quants(x, 5), TQuants.ChunkScales(scales, 5), q8 + 160, aStride, ref s0, ref s1, ref s2, ref s3);
                ChunkOfTile(TQuants.Quants(x, 6), TQuants.ChunkScales(scales, 6), q8 + 192, aStride, ref s0, ref s1, ref s2, ref s3);
                ChunkOfTile(TQuants.Quants(x, 7), TQuants.ChunkScales(scales, 7), q8 + 224, aStride, ref s0, ref s1, ref s2, ref s3);
                float d = Fp16Bits.Load(x + TQuants.DeltaOffset);
                Vector256<float>* accRow = acc + 4 * r;
                accRow[0] = Fma.MultiplyAdd(Vector256.Create(d * dy[0]), Avx.ConvertToVector256Single(s0), accRow[0]);
                accRow[1] = Fma.MultiplyAdd(Vector256.Create(d * dy[1]), Avx.ConvertToVector256Single(s1), accRow[1]);
                accRow[2] = Fma.MultiplyAdd(Vector256.Create(d * dy[2]), Avx.ConvertToVector256Single(s2), accRow[2]);
                accRow[3] = Fma.MultiplyAdd(Vector256.Create(d * dy[3]), Avx.ConvertToVector256Single(s3), accRow[3]);
                if (TQuants.HasMin)
                {
                    float dmin = Fp16Bits.Load(x + 2);
                    Vector128<float>* minRow = mins + 4 * r;
                    for (int t = 0; t < 4; t++)
                        minRow[t] = Fma.MultiplyAdd(Vector128.Create(dmin * dy[t]), Sse2.ConvertToVector128Single(MinLanes(rowMins, pairs[t])), minRow[t]);
                }
            }
        }
        for (int r = 0; r < 4; r++)
            for (int t = 0; t < 4; t++)
                output[t * outStride + r] = Result(acc[4 * r + t], mins[4 * r + t]);
    }

    /// <summary>
    /// The format's AVX2 row dot over <paramref name="blocks"/> blocks of one row: the tile's unpack and lanes for one
    /// (row, token) pair, written out so each chunk's shifts, masks and shuffles are constants. Measured on Zen 3 over
    /// K = 4096 Q5_K rows against the loop over chunk pairs it replaced (one thread, best of 4): 11.0 → 13.5 GB/s from
    /// cache, 11.1 → 12.9 from DRAM, and 14.5 prefetching 8 KiB ahead, which the row dot does on every CPU (2 KiB to
    /// 16 KiB ahead measured the same; Q4_K 11.4 → 13.8 and Q6_K 14.3 → 17.8 from DRAM).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Row(byte* w, byte* a, int blocks)
    {
        Vector256<float> acc = default;
        Vector128<float> mins = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* x = w + (nint)b * TQuants.BlockBytes;
            byte* y = a + (nint)b * Q8KBlock.BlockBytes;
            DecodePrefetch.Always(x, TQuants.BlockBytes);
            Vector256<byte> scales = TQuants.Scales(x, out Vector128<short> rowMins);
            sbyte* q8 = (sbyte*)(y + Q8KBlock.QuantsOffset);
            // Two sums half as deep; integer lanes are exact in any order.
            Vector256<int> s0 = Lanes(TQuants.Quants(x, 0), TQuants.ChunkScales(scales, 0), q8);
            Vector256<int> s1 = Lanes(TQuants.Quants(x, 1), TQuants.ChunkScales(scales, 1), q8 + 32);
            s0 = Avx2.Add(s0, Lanes(TQuants.Quants(x, 2), TQuants.ChunkScales(scales, 2), q8 + 64));
            s1 = Avx2.Add(s1, Lanes(TQuants.Quants(x, 3), TQuants.ChunkScales(scales, 3), q8 + 96));
            s0 = Avx2.Add(s0, Lanes(TQuants.Quants(x, 4), TQuants.ChunkScales(scales, 4), q8 + 128));
            s1 = Avx2.Add(s1, Lanes(TQuants.Quants(x, 5), TQuants.ChunkScales(scales, 5), q8 + 160));
            s0 = Avx2.Add(s0, Lanes(TQuants.Quants(x, 6), TQuants.ChunkScales(scales, 6), q8 + 192));
            s1 = Avx2.Add(s1, Lanes(TQuants.Quants(x, 7), TQuants.ChunkScales(scales, 7), q8 + 224));
            Vector256<int> sum = Avx2.Add(s0, s1);
            if (!TQuants.HasMin) sum = Avx2.Subtract(sum, TQuants.Offset(scales, y));
            float dy = Unsafe.ReadUnaligned<float>(y);
            if (TQuants.HasMin)
            {
                // d·dy in lane 0, dmin·dy in lane 1: the same products as two scalar multiplies.
                Vector128<float> deltas = Fp16Bits.ToSinglePair(Unsafe.ReadUnaligned<uint>(x)) * Vector128.Create(dy);
                acc = Fma.MultiplyAdd(Avx2.BroadcastScalarToVector256(deltas), Avx.ConvertToVector256Single(sum), acc);
                mins = Fma.MultiplyAdd(Avx.Permute(deltas, 0x55), Sse2.ConvertToVector128Single(MinLanes(rowMins, KQuant.PairSums(y))), mins);
            }
            else
            {
                acc = Fma.MultiplyAdd(Vector256.Create(Fp16Bits.Load(x + TQuants.DeltaOffset) * dy), Avx.ConvertToVector256Single(sum), acc);
            }
        }
        return Result(acc, mins);
    }

    /// <summary>One block's min lanes: min k times the bsum pair k, summed into lane 0 where the format keeps one min chain.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> MinLanes(Vector128<short> rowMins, Vector128<short> pairs)
    {
        Vector128<int> lanes = Sse2.MultiplyAddAdjacent(rowMins, pairs);
        return TQuants.OneMinLane ? KQuant.IntoLaneZero(lanes) : lanes;
    }

    /// <summary>One unpacked chunk of one weight row against the same chunk of four tokens.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ChunkOfTile(Vector256<byte> q, Vector256<short> s, sbyte* q8, nint aStride,
        ref Vector256<int> s0, ref Vector256<int> s1, ref Vector256<int> s2, ref Vector256<int> s3)
    {
        s0 = Avx2.Add(s0, Lanes(q, s, q8));
        s1 = Avx2.Add(s1, Lanes(q, s, q8 + aStride));
        s2 = Avx2.Add(s2, Lanes(q, s, q8 + 2 * aStride));
        s3 = Avx2.Add(s3, Lanes(q, s, q8 + 3 * aStride));
    }

    /// <summary>Chunk lanes: lane i = Σ over weights 4i..4i+3 of the chunk of quant × activation × scale, exact.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Lanes(Vector256<byte> q, Vector256<short> s, sbyte* q8) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q, Avx.LoadVector256(q8)), s);

    /// <summary>The row dot's final reduction, verbatim.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Result(Vector256<float> acc, Vector128<float> mins) =>
        TQuants.HasMin ? KQuant.Sum(acc) - KQuant.Sum(mins) : KQuant.Sum(acc);
}

/// <summary>Q4_K: chunk 2c is the low nibbles of quant bytes 32c..32c+31, chunk 2c+1 their high nibbles; scale j of the unpacked table.</summary>
internal readonly unsafe struct Q4KAvx2Quants : IKQuantAvx2Quants
{
    public static int BlockBytes => Q4KBlock.BlockBytes;

    public static bool HasMin => true;

    public static bool OneMinLane => false;

    public static int DeltaOffset => 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Scales(byte* x, out Vector128<short> mins) => ScaleMinTable(x + Q4KBlock.ScalesOffset, out mins);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Quants(byte* x, int j)
    {
        Vector256<byte> v = Avx.LoadVector256(x + Q4KBlock.QuantsOffset + 32 * (j >> 1));
        if ((j & 1) == 1) v = Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte();
        return Avx2.And(v, Vector256.Create((byte)0x0F));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<short> ChunkScales(Vector256<byte> scales, int j) => Avx2.Shuffle(scales, KQuant.ShortBroadcast(j)).AsInt16();

    public static Vector256<int> Offset(Vector256<byte> scales, byte* y) => default;

    /// <summary>The eight scales as shorts in both 128-bit lanes (as the row dot shuffles them), and the eight mins.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<byte> ScaleMinTable(byte* table, out Vector128<short> mins)
    {
        Vector256<short> sm16 = Avx2.ConvertToVector256Int16(KQuant.UnpackScaleMinSsse3(table));
        mins = sm16.GetUpper();
        return Vector256.Create(sm16.GetLower(), sm16.GetLower()).AsByte();
    }
}

/// <summary>Q5_K: Q4_K's nibbles with a fifth bit, bit j of each of the 32 high-bit bytes for chunk j.</summary>
internal readonly unsafe struct Q5KAvx2Quants : IKQuantAvx2Quants
{
    public static int BlockBytes => Q5KBlock.BlockBytes;

    public static bool HasMin => true;

    public static bool OneMinLane => true;

    public static int DeltaOffset => 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Scales(byte* x, out Vector128<short> mins) => Q4KAvx2Quants.ScaleMinTable(x + Q5KBlock.ScalesOffset, out mins);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Quants(byte* x, int j)
    {
        Vector256<byte> v = Avx.LoadVector256(x + Q5KBlock.QuantsOffset + 32 * (j >> 1));
        Vector256<byte> low = (j & 1) == 0 ? v : Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte();
        // Bit j of each high-bit byte moved to bit 4 by one 16-bit shift: bit 4 of either byte comes from bit j of the same byte.
        Vector256<ushort> bits = Avx.LoadVector256(x + Q5KBlock.HighOffset).AsUInt16();
        Vector256<ushort> moved = j switch
        {
            0 => Avx2.ShiftLeftLogical(bits, 4),
            1 => Avx2.ShiftLeftLogical(bits, 3),
            2 => Avx2.ShiftLeftLogical(bits, 2),
            3 => Avx2.ShiftLeftLogical(bits, 1),
            4 => bits,
            5 => Avx2.ShiftRightLogical(bits, 1),
            6 => Avx2.ShiftRightLogical(bits, 2),
            _ => Avx2.ShiftRightLogical(bits, 3),
        };
        return Avx2.Or(Avx2.And(low, Vector256.Create((byte)0x0F)), Avx2.And(moved.AsByte(), Vector256.Create((byte)0x10)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<short> ChunkScales(Vector256<byte> scales, int j) => Avx2.Shuffle(scales, KQuant.ShortBroadcast(j)).AsInt16();

    public static Vector256<int> Offset(Vector256<byte> scales, byte* y) => default;
}

/// <summary>
/// Q6_K: chunk j = 4h + i of half h: the low nibbles of ql bytes 64h + 32(i mod 2).. (i below 2) or their high nibbles,
/// with bits 2i, 2i+1 of qh bytes 32h..32h+31 as bits 4..5; its scales are groups 2j and 2j+1 (signed), eight shorts
/// each. The offset 32 comes off through the bsums: 32·Σ scale·bsum.
/// </summary>
internal readonly unsafe struct Q6KAvx2Quants : IKQuantAvx2Quants
{
    public static int BlockBytes => Q6KBlock.BlockBytes;

    public static bool HasMin => false;

    public static bool OneMinLane => false;

    public static int DeltaOffset => Q6KBlock.DeltaOffset;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Scales(byte* x, out Vector128<short> mins)
    {
        mins = default;
        return Sse2.LoadVector128(x + Q6KBlock.ScalesOffset).ToVector256Unsafe();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Quants(byte* x, int j)
    {
        int h = j >> 2, i = j & 3;
        Vector256<byte> l = Avx.LoadVector256(x + 64 * h + 32 * (i & 1));
        Vector256<byte> qh = Avx.LoadVector256(x + Q6KBlock.HighOffset + 32 * h);
        Vector256<byte> low = i < 2 ? Avx2.And(l, Vector256.Create((byte)0x0F))
            : Avx2.And(Avx2.ShiftRightLogical(l.AsUInt16(), 4).AsByte(), Vector256.Create((byte)0x0F));
        Vector256<byte> high = i switch
        {
            0 => Avx2.ShiftLeftLogical(Avx2.And(qh, Vector256.Create((byte)0x03)).AsUInt16(), 4).AsByte(),
            1 => Avx2.ShiftLeftLogical(Avx2.And(qh, Vector256.Create((byte)0x0C)).AsUInt16(), 2).AsByte(),
            2 => Avx2.And(qh, Vector256.Create((byte)0x30)),
            _ => Avx2.ShiftRightLogical(Avx2.And(qh, Vector256.Create((byte)0xC0)).AsUInt16(), 2).AsByte(),
        };
        return Avx2.Or(low, high);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<short> ChunkScales(Vector256<byte> scales, int j) => KQuant.PairScales(scales.GetLower(), KQuant.PairMask(2 * j));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Offset(Vector256<byte> scales, byte* y) =>
        Avx2.ShiftLeftLogical(KQuant.GroupSums(Avx2.ConvertToVector256Int16(scales.GetLower().AsSByte()), y), 5);
}
