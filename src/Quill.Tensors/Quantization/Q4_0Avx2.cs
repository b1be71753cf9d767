// Q4_0 × Q8_0 where AVX2 is the widest level, in the order of llama.cpp's repacked Q4_0 kernels (ggml_gemv/gemm_q4_0_8x8_q8_0):
// the row dot, the four-row decode kernel and the 4×4 prompt tile, and their scalar meaning.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Quill.Tensors.Quantization;

/// <summary>
/// Per block the exact integer Σ (q − 8)·y of all 32 products, then acc = fma(float(Σ), d_w · d_a, acc) in block order:
/// what llama.cpp's AVX2 builds compute for every Q4_0 matrix they repack into eight-row groups (row count a multiple of
/// 8), prompt and decode alike. It is also cheaper than ggml_vec_dot's order (eight float lanes per row, a horizontal
/// float sum at the end): one float multiply-add per row and block instead of a lane vector's conversion and FMA.
/// The row dot, <see cref="Rows"/> and <see cref="Tile"/> give the same bits, so a token's result does not depend
/// on its batch. Quants stay unsigned (q, not q − 8): 8·y is taken off the int16 pair sums, one correction per block
/// and token shared by the rows. Two rows share a register (row k's 16 nibble bytes in 128-bit half k), their low
/// nibbles meeting the activation's first 16 quants broadcast to both halves and their high nibbles its last 16; two
/// horizontal adds then leave one total per row. Block scales widen through <see cref="Fp16Table"/>.
/// </summary>
internal static unsafe class Q4_0Avx2
{
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    private const int ActivationBytes = Q8_0Block.BlockBytes;

    /// <summary>Scalar meaning of every kernel here: one row against one activation row.</summary>
    public static float Reference(byte* w, byte* a, int blocks)
    {
        float acc = 0;
        for (int b = 0; b < blocks; b++)
        {
            byte* wb = w + b * Q4_0Block.BlockBytes, ab = a + b * ActivationBytes;
            byte* q = wb + Q4_0Block.QuantsOffset;
            sbyte* y = (sbyte*)(ab + 2);
            int sum = 0;
            for (int j = 0; j < 16; j++)
                sum += ((q[j] & 0x0F) - 8) * y[j] + ((q[j] >> 4) - 8) * y[16 + j];
            acc = MathF.FusedMultiplyAdd(sum, Fp16Bits.ToSingle(*(ushort*)wb) * Fp16Bits.ToSingle(*(ushort*)ab), acc);
        }
        return acc;
    }

    /// <summary>The row dot (rows outside four-row groups); same bits as <see cref="Reference"/>.</summary>
    public static float Dot(ReadOnlySpan<byte> weightRow, ReadOnlySpan<byte> activationRow)
    {
        int blocks = RowLength.Count(weightRow.Length, Q4_0Block.BlockBytes, "Q4_0", nameof(weightRow));
        RowLength.Expect(activationRow.Length, blocks * ActivationBytes, "Q4_0", nameof(activationRow));
        fixed (byte* w = weightRow, a = activationRow)
        {
            return Run(w, a, blocks);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Run(byte* w, byte* a, int blocks)
    {
        float* table = Fp16Table.Values;
        var eights = Vector256.Create((byte)8);
        float acc = 0;
        for (int b = 0; b < blocks; b++)
        {
            byte* wb = w + b * Q4_0Block.BlockBytes, ab = a + b * ActivationBytes;
            Vector128<byte> packed = Vector128.Load(wb + Q4_0Block.QuantsOffset);
            Vector256<byte> q = Vector256.Create(packed, Sse2.ShiftRightLogical(packed.AsUInt16(), 4).AsByte()) & Vector256.Create((byte)0x0F);
            Vector256<sbyte> y = Vector256.Load((sbyte*)(ab + 2));
            Vector256<short> pairs = Avx2.MultiplyAddAdjacent(q, y) - Avx2.MultiplyAddAdjacent(eights, y);
            int sum = Vector256.Sum(Avx2.MultiplyAddAdjacent(pairs, Vector256<short>.One));
            acc = MathF.FusedMultiplyAdd(sum, table[*(ushort*)wb] * table[*(ushort*)ab], acc);
        }
        return acc;
    }

    /// <summary>output[r] = dot(weight row r, the activation row) for r in 0..3 (decoding); block b of row k at w + b·blockStride + k·wStride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(byte* w, nint wStride, nint blockStride, byte* a, int blocks, float* output)
    {
        bool prefetch = DecodePrefetch.Enabled;
        float* table = Fp16Table.Values;
        Vector128<float> acc = Vector128<float>.Zero;
        for (int b = 0; b < blocks; b++)
        {
            byte* w0 = w + b * blockStride, w1 = w0 + wStride, w2 = w1 + wStride, w3 = w2 + wStride;
            byte* a0 = a + b * ActivationBytes;
            DecodePrefetch.Ahead(prefetch, w0, Q4_0Block.BlockBytes);
            TokenQuants y = Token(a0);
            (Vector256<byte> low01, Vector256<byte> high01) = Nibbles(TwoRows(w0, w1));
            (Vector256<byte> low23, Vector256<byte> high23) = Nibbles(TwoRows(w2, w3));
            Vector128<int> totals = Totals(PartialSums(low01, high01, y), PartialSums(low23, high23, y));
            Vector128<float> d = RowScales(w0, w1, w2, w3, table) * table[*(ushort*)a0];
            acc = Fma.MultiplyAdd(Sse2.ConvertToVector128Single(totals), d, acc);
        }
        acc.Store(output);
    }

    /// <summary>out[c·outStride + r] = dot(weight row r, activation row c) for r, c in 0..3 (prompts).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(byte* w, nint wStride, nint blockStride, byte* a, nint aStride, int blocks, float* output, nint outStride)
    {
        float* table = Fp16Table.Values;
        Vector256<float> acc01 = Vector256<float>.Zero, acc23 = Vector256<float>.Zero; // tokens 0 | 1 and 2 | 3, rows 0..3 in each half
        for (int b = 0; b < blocks; b++)
        {
            byte* w0 = w + b * blockStride, w1 = w0 + wStride, w2 = w1 + wStride, w3 = w2 + wStride;
            byte* a0 = a + b * ActivationBytes;
            (Vector256<byte> low01, Vector256<byte> high01) = Nibbles(TwoRows(w0, w1));
            (Vector256<byte> low23, Vector256<byte> high23) = Nibbles(TwoRows(w2, w3));
            Vector128<float> dw = RowScales(w0, w1, w2, w3, table);
            Vector256<float> dw2 = Vector256.Create(dw, dw);
            acc01 = TokenPair(low01, high01, low23, high23, a0, a0 + aStride, dw2, table, acc01);
            acc23 = TokenPair(low01, high01, low23, high23, a0 + 2 * aStride, a0 + 3 * aStride, dw2, table, acc23);
        }
        acc01.GetLower().Store(output);
        acc01.GetUpper().Store(output + outStride);
        acc23.GetLower().Store(output + 2 * outStride);
        acc23.GetUpper().Store(output + 3 * outStride);
    }

    /// <summary>Two tokens' block against the four unpacked rows: acc + [token c's four products | token c+1's].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> TokenPair(Vector256<byte> low01, Vector256<byte> high01, Vector256<byte> low23, Vector256<byte> high23,
        byte* a, byte* next, Vector256<float> dw2, float* table, Vector256<float> acc)
    {
        Vector256<int> first = TokenSums(low01, high01, low23, high23, a), second = TokenSums(low01, high01, low23, high23, next);
        // [c r0, c r2, c+1 r0, c+1 r2 | c r1, c r3, c+1 r1, c+1 r3], then rows in order per token.
        Vector256<int> totals = Avx2.PermuteVar8x32(Avx2.HorizontalAdd(first, second), Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7));
        Vector256<float> d = dw2 * Vector256.Create(Vector128.Create(table[*(ushort*)a]), Vector128.Create(table[*(ushort*)next]));
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(totals), d, acc);
    }

    /// <summary>One token's block: [r0, r0, r2, r2 | r1, r1, r3, r3] partial totals (each pair sums to the row's).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> TokenSums(Vector256<byte> low01, Vector256<byte> high01, Vector256<byte> low23, Vector256<byte> high23, byte* a)
    {
        TokenQuants y = Token(a);
        return Avx2.HorizontalAdd(PartialSums(low01, high01, y), PartialSums(low23, high23, y));
    }

    /// <summary>One token's block quants, elements 0..15 and 16..31 each broadcast to both 128-bit halves, and their offset term.</summary>
    private readonly struct TokenQuants(Vector256<sbyte> low, Vector256<sbyte> high)
    {
        public readonly Vector256<sbyte> Low = low, High = high;

        /// <summary>8·(y_a + y_b) + 8·(y_{a+16} + y_{b+16}) per int16 pair lane: the offset the unsigned quants add.</summary>
        public readonly Vector256<short> EightY =
            Avx2.MultiplyAddAdjacent(Vector256.Create((byte)8), low) + Avx2.MultiplyAddAdjacent(Vector256.Create((byte)8), high);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TokenQuants Token(byte* block) =>
        new(Avx2.BroadcastVector128ToVector256((sbyte*)(block + 2)), Avx2.BroadcastVector128ToVector256((sbyte*)(block + 18)));

    /// <summary>The four rows' block scales, widened exactly through the table.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> RowScales(byte* w0, byte* w1, byte* w2, byte* w3, float* table) =>
        Vector128.Create(table[*(ushort*)w0], table[*(ushort*)w1], table[*(ushort*)w2], table[*(ushort*)w3]);

    /// <summary>Rows k and k+1's 16 nibble bytes, one row per 128-bit half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> TwoRows(byte* first, byte* second) =>
        Vector256.Create(Vector128.Load(first + Q4_0Block.QuantsOffset), Vector128.Load(second + Q4_0Block.QuantsOffset));

    /// <summary>Each byte's low nibble (elements 0..15 of its row) and high nibble (elements 16..31).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<byte> Low, Vector256<byte> High) Nibbles(Vector256<byte> q)
    {
        var mask = Vector256.Create((byte)0x0F);
        return (q & mask, Avx2.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & mask);
    }

    /// <summary>
    /// Per 128-bit half (a row): four int32 partial sums of Σ (q − 8)·y. Each int16 pair lane stays within ±11,776
    /// (two products of at most 15·128, twice, less 8·4·128), so nothing saturates or wraps.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> PartialSums(Vector256<byte> low, Vector256<byte> high, TokenQuants y)
    {
        Vector256<short> pairs = Avx2.MultiplyAddAdjacent(low, y.Low) + Avx2.MultiplyAddAdjacent(high, y.High) - y.EightY;
        return Avx2.MultiplyAddAdjacent(pairs, Vector256<short>.One);
    }

    /// <summary>[row 0, row 1, row 2, row 3] totals from rows 0 and 1's partial sums and rows 2 and 3's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Totals(Vector256<int> s01, Vector256<int> s23)
    {
        Vector256<int> h = Avx2.HorizontalAdd(s01, s23); // [r0 r0 r2 r2 | r1 r1 r3 r3]
        h = Avx2.HorizontalAdd(h, h);                      // [r0 r2 r0 r2 | r1 r3 r1 r3]
        return Sse2.UnpackLow(h.GetLower(), h.GetUpper()); // [r0 r1 r2 r3]
    }
}
