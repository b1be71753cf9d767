// Horizontal sums of 512-bit float vectors in the order of _mm512_reduce_add_ps (GCC and Clang alike): one at a time, or
// sixteen at once through a transposing add tree.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Quill.Tensors.Simd;

/// <summary>
/// The halving reduction of llama.cpp's x86 builds (tinyBLAS's <c>hsum</c>, ggml's <c>_mm512_reduce_add_ps</c>): lanes
/// x[i] + x[i + 8], then + [i + 4], + [i + 2], + [i + 1]. Not .NET 10's <see cref="Vector512.Sum{T}(Vector512{T})"/>, which
/// adds within each 128-bit lane as (x0 + x1) + (x2 + x3) first: on random vectors the two differ in the last bit about a
/// third of the time, and a one-ulp difference in an attention score is enough to part from llama.cpp's logits later.
/// <see cref="Sixteen"/> runs the same tree for sixteen vectors together, transposing as it adds (15 shuffle pairs, 15 adds
/// and one permute for sixteen sums); addition is commutative bit for bit, so only the tree matters.
/// </summary>
internal static class HorizontalSums
{
    /// <summary>The halving reduction of one vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float One(Vector512<float> a)
    {
        Vector256<float> eight = a.GetLower() + a.GetUpper();
        Vector128<float> four = eight.GetLower() + eight.GetUpper();
        Vector128<float> two = four + Sse.MoveHighToLow(four, four);
        return two.ToScalar() + two.GetElement(1);
    }

    /// <summary>[One(a0), …, One(a15)].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sixteen(Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3,
        Vector512<float> a4, Vector512<float> a5, Vector512<float> a6, Vector512<float> a7, Vector512<float> a8, Vector512<float> a9,
        Vector512<float> a10, Vector512<float> a11, Vector512<float> a12, Vector512<float> a13, Vector512<float> a14, Vector512<float> a15)
    {
        // 128-bit lane k of q_g: the four sums x[i] + x[i + 8] + (x[i + 4] + x[i + 12]) of vector 4g + k.
        Vector512<float> q0 = Quarters(Halves(a0, a1), Halves(a2, a3)), q1 = Quarters(Halves(a4, a5), Halves(a6, a7));
        Vector512<float> q2 = Quarters(Halves(a8, a9), Halves(a10, a11)), q3 = Quarters(Halves(a12, a13), Halves(a14, a15));
        // Lane k: [t0 + t2, t1 + t3] of vectors k and 4 + k, then of 8 + k and 12 + k; then those pairs added.
        Vector512<float> e0 = Avx512F.Shuffle(q0, q1, 0x44) + Avx512F.Shuffle(q0, q1, 0xEE);
        Vector512<float> e1 = Avx512F.Shuffle(q2, q3, 0x44) + Avx512F.Shuffle(q2, q3, 0xEE);
        Vector512<float> sums = Avx512F.Shuffle(e0, e1, 0x88) + Avx512F.Shuffle(e0, e1, 0xDD);
        // Slot 4k + p holds vector 4p + k's sum: put vector s's at slot s.
        return Avx512F.PermuteVar16x32(sums, Vector512.Create(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15));
    }

    /// <summary>[a's low 256 bits + its high 256 bits | the same of b].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Halves(Vector512<float> a, Vector512<float> b) =>
        Avx512F.Shuffle4x128(a, b, 0x44) + Avx512F.Shuffle4x128(a, b, 0xEE);

    /// <summary>From two <see cref="Halves"/> results of (a, b) and (c, d): lane k the low plus the high 128 bits of vector k's eight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Quarters(Vector512<float> ab, Vector512<float> cd) =>
        Avx512F.Shuffle4x128(ab, cd, 0x88) + Avx512F.Shuffle4x128(ab, cd, 0xDD);

    /// <summary>Scalar <see cref="One"/>: the same adds on an array of sixteen.</summary>
    public static float Reference(ReadOnlySpan<float> x)
    {
        Span<float> t = stackalloc float[8];
        for (int i = 0; i < 8; i++) t[i] = x[i] + x[i + 8];
        for (int i = 0; i < 4; i++) t[i] += t[i + 4];
        for (int i = 0; i < 2; i++) t[i] += t[i + 2];
        return t[0] + t[1];
    }
}
