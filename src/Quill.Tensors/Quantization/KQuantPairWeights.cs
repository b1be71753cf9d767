// How Q4_K, Q5_K and Q6_K blocks are laid into the pair tile's prepared row groups (KQuantPairTileAvx512), and their scalar view.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Quill.Tensors.Quantization;

/// <summary>A K-quant's unsigned quant of one weight, for the pair tile's scalar reference.</summary>
internal unsafe interface IKQuantElements
{
    /// <summary>The unsigned quant of weight n (0..255) of the block at x, as the AVX-512 unpack forms it.</summary>
    static abstract int Quant(byte* x, int n);
}

/// <summary>
/// The formats with 6-bit scales and mins (Q4_K, Q5_K): chunk m is sub-block m, its scale broadcast to 16 shorts;
/// d, dmin (four copies per row, for the min lanes) and the eight mins as shorts.
/// </summary>
internal readonly unsafe struct ScaleMinPairWeights<TQuants> : IKQuantPairWeights
    where TQuants : struct, IScaleMinTileQuants<TQuants>, IKQuantElements
{
    public static bool HasMins => true;

    public static bool OneMinLane => TQuants.OneMinLane;

    public static bool PairOrder => TQuants.PairOrder;

    public static byte OffsetShift => 0;

    /// <remarks>
    /// In pair order (<see cref="PairOrder"/>) the quants are laid for lanes that each hold one (row, token): the four
    /// bytes 4i..4i+3 of the four rows side by side at 16·i, and chunk m's scales at ScalesAt + 16·m, row k's twice
    /// in dword k (see <see cref="KQuantPairTileAvx512{TWeights}"/>'s pair-order kernel).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prepare(byte* x, int k, byte* g)
    {
        ScaleMinTileAvx512<TQuants>.InActivationOrder(TQuants.Create(), x,
            out Vector512<byte> q0, out Vector512<byte> q1, out Vector512<byte> q2, out Vector512<byte> q3);
        Vector256<short> sm16 = Avx2.ConvertToVector256Int16(KQuant.UnpackScaleMin(x + TQuants.ScalesOffset));
        byte* dst = g + KQuantPairTileAvx512<ScaleMinPairWeights<TQuants>>.RowBytes * k;
        PairWeightQuants.Store(dst, q0, q1, q2, q3);
        if (TQuants.PairOrder)
        {
            // Rows are prepared in order: the last one lays the four rows' quants out for the pair-order lanes.
            if (k == 3) PairWeightQuants.InterleaveRows(g);
            byte* scales = g + KQuantPairTileAvx512<ScaleMinPairWeights<TQuants>>.ScalesAt;
            // Row k's scale for chunk m twice in dword k of the chunk's 16 bytes.
            Vector128<short> table = sm16.GetLower();
            Vector256<int> twice = Vector256.Create(Sse2.UnpackLow(table, table), Sse2.UnpackHigh(table, table)).AsInt32();
            for (int m = 0; m < 8; m++) ((int*)(scales + 16 * m))[k] = twice.GetElement(m);
        }
        else
        {
            // Chunk m's vector is scale m sixteen times: word m of the table, spread by a permute, two chunks per store.
            PairWeightQuants.StoreScalesPer32(dst + KQuantPairTileAvx512<ScaleMinPairWeights<TQuants>>.ScalesAt, sm16);
        }
        ((float*)(g + KQuantPairTileAvx512<ScaleMinPairWeights<TQuants>>.DAt))[k] = Fp16Bits.Load(x);
        Vector128.Create(Fp16Bits.Load(x + 2)).Store((float*)(g + KQuantPairTileAvx512<ScaleMinPairWeights<TQuants>>.DminAt) + 4 * k);
        sm16.GetUpper().Store((short*)(g + KQuantPairTileAvx512<ScaleMinPairWeights<TQuants>>.MinsAt) + 8 * k);
    }

    public static void Decode(byte* x, int* q, int* scale, int* mins, out float d, out float dmin)
    {
        Vector128<byte> sm = KQuant.UnpackScaleMin(x + TQuants.ScalesOffset);
        for (int n = 0; n < 256; n++)
        {
            q[n] = TQuants.Quant(x, n);
            scale[n] = sm[n / 32];
        }
        for (int s = 0; s < 8; s++) mins[s] = sm[8 + s];
        d = Fp16Bits.Load(x);
        dmin = Fp16Bits.Load(x + 2);
    }
}

/// <summary>
/// The formats with signed scales per 16 weights and an offset removed through the bsums (Q6_K): chunk m holds the
/// groups 2m | 2m+1, its scale vector their two scales eight times each; d, and the sixteen scales as shorts.
/// </summary>
internal readonly unsafe struct OffsetPairWeights<TQuants> : IKQuantPairWeights
    where TQuants : struct, IOffsetTileQuants<TQuants>, IKQuantElements
{
    public static bool HasMins => false;

    public static bool OneMinLane => false;

    public static bool PairOrder => false;

    public static byte OffsetShift => TQuants.OffsetShift;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prepare(byte* x, int k, byte* g)
    {
        TQuants.Create().Unpack(x, out Vector512<byte> q0, out Vector512<byte> q1, out Vector512<byte> q2, out Vector512<byte> q3);
        byte* dst = g + KQuantPairTileAvx512<OffsetPairWeights<TQuants>>.RowBytes * k;
        PairWeightQuants.Store(dst, q0, q1, q2, q3);
        Vector256<short> sc16 = TQuants.Scales(x);
        // Chunk m's vector is scales 2m and 2m+1 eight times each: spread by a permute, two chunks per store.
        PairWeightQuants.StoreScalesPer16(dst + KQuantPairTileAvx512<OffsetPairWeights<TQuants>>.ScalesAt, sc16);
        ((float*)(g + KQuantPairTileAvx512<OffsetPairWeights<TQuants>>.DAt))[k] = Fp16Bits.Load(x + TQuants.DeltaOffset);
        sc16.Store((short*)(g + KQuantPairTileAvx512<OffsetPairWeights<TQuants>>.Sc16At) + 16 * k);
    }

    public static void Decode(byte* x, int* q, int* scale, int* mins, out float d, out float dmin)
    {
        Vector256<short> sc16 = TQuants.Scales(x);
        for (int n = 0; n < 256; n++)
        {
            q[n] = TQuants.Quant(x, n);
            scale[n] = sc16.GetElement(n / 16);
        }
        for (int s = 0; s < 16; s++) mins[s] = sc16.GetElement(s);
        d = Fp16Bits.Load(x + TQuants.DeltaOffset);
        dmin = 0;
    }
}

/// <summary>Where a row's unpacked quants and scale vectors go in the pair tile's scratch, shared by both weight kinds.</summary>
internal static unsafe class PairWeightQuants
{
    /// <summary>Chunk c (32 quants) of the row at 32·c: the four unpacked vectors in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(byte* dst, Vector512<byte> q0, Vector512<byte> q1, Vector512<byte> q2, Vector512<byte> q3)
    {
        q0.Store(dst);
        q1.Store(dst + 64);
        q2.Store(dst + 128);
        q3.Store(dst + 192);
    }

    /// <summary>
    /// The four rows' 256 quants each (row k at 256·k) rearranged in place so that the four rows' bytes 4i..4i+3 lie side by
    /// side at 16·i: per quarter of the rows, a dword interleave within 128-bit lanes and a 4×4 transpose of the lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void InterleaveRows(byte* quants)
    {
        // Every quarter is read before any is written: the output of quarter v covers row v's bytes.
        Vector512<long> q00 = default, q01 = default, q02 = default, q03 = default, q10 = default, q11 = default, q12 = default, q13 = default;
        Vector512<long> q20 = default, q21 = default, q22 = default, q23 = default, q30 = default, q31 = default, q32 = default, q33 = default;
        Quarter(quants, 0, ref q00, ref q01, ref q02, ref q03);
        Quarter(quants, 1, ref q10, ref q11, ref q12, ref q13);
        Quarter(quants, 2, ref q20, ref q21, ref q22, ref q23);
        Quarter(quants, 3, ref q30, ref q31, ref q32, ref q33);
        Store(quants, q00.AsByte(), q01.AsByte(), q02.AsByte(), q03.AsByte());
        Store(quants + 256, q10.AsByte(), q11.AsByte(), q12.AsByte(), q13.AsByte());
        Store(quants + 512, q20.AsByte(), q21.AsByte(), q22.AsByte(), q23.AsByte());
        Store(quants + 768, q30.AsByte(), q31.AsByte(), q32.AsByte(), q33.AsByte());
    }

    /// <summary>
    /// Quarter v (dwords 16v..16v+15 of each row) as four 64-byte lines: line L holds dwords 4L..4L+3 of the quarter,
    /// the four rows' side by side for each.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Quarter(byte* quants, int v, ref Vector512<long> l0, ref Vector512<long> l1, ref Vector512<long> l2, ref Vector512<long> l3)
    {
        Vector512<int> a = Vector512.Load((int*)(quants + 64 * v)), b = Vector512.Load((int*)(quants + 256 + 64 * v));
        Vector512<int> c = Vector512.Load((int*)(quants + 512 + 64 * v)), d = Vector512.Load((int*)(quants + 768 + 64 * v));
        Vector512<long> abLow = Avx512F.UnpackLow(a, b).AsInt64(), abHigh = Avx512F.UnpackHigh(a, b).AsInt64();
        Vector512<long> cdLow = Avx512F.UnpackLow(c, d).AsInt64(), cdHigh = Avx512F.UnpackHigh(c, d).AsInt64();
        // 128-bit lane j of s_n: the four rows' dword 4j + n.
        Vector512<long> s0 = Avx512F.UnpackLow(abLow, cdLow), s1 = Avx512F.UnpackHigh(abLow, cdLow);
        Vector512<long> s2 = Avx512F.UnpackLow(abHigh, cdHigh), s3 = Avx512F.UnpackHigh(abHigh, cdHigh);
        Vector512<long> t01Low = Avx512F.Shuffle4x128(s0, s1, 0x44), t01High = Avx512F.Shuffle4x128(s0, s1, 0xEE);
        Vector512<long> t23Low = Avx512F.Shuffle4x128(s2, s3, 0x44), t23High = Avx512F.Shuffle4x128(s2, s3, 0xEE);
        l0 = Avx512F.Shuffle4x128(t01Low, t23Low, 0x88);
        l1 = Avx512F.Shuffle4x128(t01Low, t23Low, 0xDD);
        l2 = Avx512F.Shuffle4x128(t01High, t23High, 0x88);
        l3 = Avx512F.Shuffle4x128(t01High, t23High, 0xDD);
    }

    /// <summary>The row's eight chunk scale vectors at 32·c, one scale per 32 weights: chunk m is word m of the table sixteen times.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreScalesPer32(byte* dst, Vector256<short> table) =>
        StoreScales(dst, table, Vector512.Create(Vector256.Create((short)0), Vector256.Create((short)1)), 2);

    /// <summary>The row's eight chunk scale vectors at 32·c, one scale per 16 weights: chunk m is words 2m, 2m+1 eight times each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreScalesPer16(byte* dst, Vector256<short> table) =>
        StoreScales(dst, table, Vector512.Create(Vector256.Create(Vector128.Create((short)0), Vector128.Create((short)1)),
            Vector256.Create(Vector128.Create((short)2), Vector128.Create((short)3))), 4);

    /// <summary>
    /// Chunks 2j, 2j+1 (16 shorts each) at 64·j: <paramref name="table"/>'s words picked by <paramref name="first"/>
    /// plus j times <paramref name="wordsPerStore"/>, the words two chunks use.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreScales(byte* dst, Vector256<short> table, Vector512<short> first, short wordsPerStore)
    {
        Vector512<short> words = table.ToVector512Unsafe();
        Vector512<short> step = Vector512.Create(wordsPerStore);
        Vector512<short> index = first;
        for (int j = 0; j < 4; j++)
        {
            Avx512BW.PermuteVar32x16(words, index).Store((short*)(dst + 64 * j));
            index += step;
        }
    }
}
