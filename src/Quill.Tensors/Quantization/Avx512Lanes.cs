// Small AVX-512 lane moves and the scaled integer sum shared by the K-quant four-row decode kernels, written so the JIT keeps them in registers.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Quill.Tensors.Quantization;

/// <summary>
/// Lane moves for the four-row decode kernels. Vector512.Create(lower, upper) and Vector512.Create(Vector128) go
/// through a stack temporary that the JIT keeps alive across loop iterations (each one a 64-byte store and reload per
/// block); these single instructions do the same without it.
/// </summary>
internal static class Avx512Lanes
{
    /// <summary>lower in the low 256 bits, upper in the high 256 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Join<T>(Vector256<T> lower, Vector256<T> upper) =>
        Avx512F.InsertVector256(lower.AsInt32().ToVector512Unsafe(), upper.AsInt32(), 1).As<int, T>();

    /// <summary>v in all four 128-bit lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> Broadcast(Vector128<short> v)
    {
        Vector512<int> wide = v.AsInt32().ToVector256Unsafe().ToVector512Unsafe();
        return Avx512F.Shuffle4x128(wide, wide, 0x00).AsInt16();
    }

    /// <summary>
    /// The 256-bit halves of a and b added: a's low + high in the low 256 bits, b's in the high 256 bits (the same
    /// integer sums as Avx2.Add(a.GetLower(), a.GetUpper()) and likewise for b).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> FoldPair(Vector512<int> a, Vector512<int> b) =>
        Avx512F.Add(Avx512F.Shuffle4x128(a, b, 0x44), Avx512F.Shuffle4x128(a, b, 0xEE));

    /// <summary>
    /// The four int32 of each 128-bit lane of each of v0..v3 summed (exact), the sum from vector e landing in element e
    /// of the same 128-bit lane: an in-lane 4×4 transpose with the adds folded in.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> SumFours(Vector512<int> v0, Vector512<int> v1, Vector512<int> v2, Vector512<int> v3)
    {
        Vector512<int> s01 = Avx512F.Add(Avx512F.UnpackLow(v0, v1), Avx512F.UnpackHigh(v0, v1));
        Vector512<int> s23 = Avx512F.Add(Avx512F.UnpackLow(v2, v3), Avx512F.UnpackHigh(v2, v3));
        return Avx512F.Add(Avx512F.UnpackLow(s01.AsInt64(), s23.AsInt64()).AsInt32(), Avx512F.UnpackHigh(s01.AsInt64(), s23.AsInt64()).AsInt32());
    }

    /// <summary>
    /// Step 0's vpermt2d indices for kernels that keep one (token t, row k) per int32 lane at 4t + k: token t's first
    /// dword in lanes 4t..4t+3, tokens 0, 1 in the first 64-byte source (32 bytes each), 2, 3 in the second. Step s adds s.
    /// </summary>
    public static Vector512<int> TokenDwords => Vector512.Create(0, 0, 0, 0, 8, 8, 8, 8, 16, 16, 16, 16, 24, 24, 24, 24);

    /// <summary>
    /// The int16 pair sums of 32 weights in the (token, row) lanes of <see cref="TokenDwords"/>: eight four-weight steps,
    /// step s one vpmaddubsw of the four rows' unsigned bytes at <paramref name="rows"/> + 16s (row k's in dword k,
    /// broadcast to every 128-bit lane) against each token's dword s of <paramref name="a"/> (tokens 0, 1) and
    /// <paramref name="b"/> (tokens 2, 3). Exact while eight steps fit in int16: quants up to 15 (Q4_0, Q4_K) reach 30,720.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector512<short> RowLaneSteps(byte* rows, Vector512<int> a, Vector512<int> b)
    {
        Vector512<int> pick = TokenDwords;
        Vector512<short> pairs = RowLaneStep(rows, a, b, pick);
        pairs += RowLaneStep(rows + 16, a, b, pick + Vector512<int>.One);
        pairs += RowLaneStep(rows + 32, a, b, pick + Vector512.Create(2));
        pairs += RowLaneStep(rows + 48, a, b, pick + Vector512.Create(3));
        pairs += RowLaneStep(rows + 64, a, b, pick + Vector512.Create(4));
        pairs += RowLaneStep(rows + 80, a, b, pick + Vector512.Create(5));
        pairs += RowLaneStep(rows + 96, a, b, pick + Vector512.Create(6));
        pairs += RowLaneStep(rows + 112, a, b, pick + Vector512.Create(7));
        return pairs;
    }

    /// <summary>One step of <see cref="RowLaneSteps"/>: the rows' 16 bytes at <paramref name="rows"/> against the tokens' dwords picked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<short> RowLaneStep(byte* rows, Vector512<int> a, Vector512<int> b, Vector512<int> pick) =>
        Avx512BW.MultiplyAddAdjacent(Avx512F.BroadcastVector128ToVector512((int*)rows).AsByte(), Avx512F.PermuteVar16x32x2(a, pick, b).AsSByte());

    /// <summary>
    /// Σ_k vpmaddwd(vpmaddubsw(q_k, y_k), s_k) over a block's four 64-byte chunks: unsigned quants times int8
    /// activations, pairs summed to shorts, then times the per-chunk scales and summed to ints (exact).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> ScaledSum(Vector512<byte> q0, Vector512<byte> q1, Vector512<byte> q2, Vector512<byte> q3, Vector512<sbyte> y0,
        Vector512<sbyte> y1, Vector512<sbyte> y2, Vector512<sbyte> y3, Vector512<short> s0, Vector512<short> s1, Vector512<short> s2, Vector512<short> s3)
    {
        Vector512<int> sumi = Avx512F.Add(
            Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q0, y0), s0),
            Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q1, y1), s1));
        return Avx512F.Add(sumi, Avx512F.Add(
            Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q2, y2), s2),
            Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(q3, y3), s3)));
    }

    /// <summary>
    /// The scaled sum above with o_k taken off each chunk's pair sums before the scales: vpmaddwd(vpmaddubsw(q_k, y_k)
    /// − o_k, s_k). Exact where both pair sums and their difference fit in 16 bits (an offset of small unsigned quants,
    /// as Q3_K's).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> ScaledSum(Vector512<byte> q0, Vector512<byte> q1, Vector512<byte> q2, Vector512<byte> q3, Vector512<sbyte> y0,
        Vector512<sbyte> y1, Vector512<sbyte> y2, Vector512<sbyte> y3, Vector512<short> o0, Vector512<short> o1, Vector512<short> o2,
        Vector512<short> o3, Vector512<short> s0, Vector512<short> s1, Vector512<short> s2, Vector512<short> s3)
    {
        Vector512<int> sumi = Avx512F.Add(
            Avx512BW.MultiplyAddAdjacent(Avx512BW.Subtract(Avx512BW.MultiplyAddAdjacent(q0, y0), o0), s0),
            Avx512BW.MultiplyAddAdjacent(Avx512BW.Subtract(Avx512BW.MultiplyAddAdjacent(q1, y1), o1), s1));
        return Avx512F.Add(sumi, Avx512F.Add(
            Avx512BW.MultiplyAddAdjacent(Avx512BW.Subtract(Avx512BW.MultiplyAddAdjacent(q2, y2), o2), s2),
            Avx512BW.MultiplyAddAdjacent(Avx512BW.Subtract(Avx512BW.MultiplyAddAdjacent(q3, y3), o3), s3)));
    }
}
