// Sixteen vectors' horizontal sums at once, each bit for bit Vector512.Sum of its vector: a transposing add tree.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Quill.Tensors.Simd;

/// <summary>
/// .NET 10's <see cref="Vector512.Sum{T}(Vector512{T})"/> of floats adds within each 128-bit lane as (x0 + x1) + (x2 + x3),
/// then the four lane sums as (s0 + s1) + (s2 + s3) (checked on 200,000 random vectors; <c>HorizontalSumsTests</c> keeps
/// checking it). <see cref="Sixteen"/> runs that same tree for sixteen vectors together, transposing as it adds: 15
/// shuffle pairs and 15 adds for sixteen sums, against about eight instructions for each sum alone. Addition is
/// commutative bit for bit, so only the tree matters, and every sum equals its vector's Vector512.Sum exactly.
/// </summary>
internal static class HorizontalSums
{
    /// <summary>[Vector512.Sum(a0), …, Vector512.Sum(a15)].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sixteen(Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3,
        Vector512<float> a4, Vector512<float> a5, Vector512<float> a6, Vector512<float> a7, Vector512<float> a8, Vector512<float> a9,
        Vector512<float> a10, Vector512<float> a11, Vector512<float> a12, Vector512<float> a13, Vector512<float> a14, Vector512<float> a15)
    {
        // Per 128-bit lane k: [s_k(a), s_k(b), s_k(c), s_k(d)] with s_k = (x0 + x1) + (x2 + x3) of that lane.
        Vector512<float> g0 = Pairs(Pairs(a0, a1), Pairs(a2, a3)), g1 = Pairs(Pairs(a4, a5), Pairs(a6, a7));
        Vector512<float> g2 = Pairs(Pairs(a8, a9), Pairs(a10, a11)), g3 = Pairs(Pairs(a12, a13), Pairs(a14, a15));
        // Lanes [s0 + s1, s2 + s3] of four vectors, then of the next four; then (s0 + s1) + (s2 + s3), in vector order.
        return LanePairs(LanePairs(g0, g1), LanePairs(g2, g3));
    }

    /// <summary>Per 128-bit lane: [a0 + a1, a2 + a3, b0 + b1, b2 + b3].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pairs(Vector512<float> a, Vector512<float> b) =>
        Avx512F.Shuffle(a, b, 0x88) + Avx512F.Shuffle(a, b, 0xDD);

    /// <summary>Lanes [a.0 + a.1, a.2 + a.3, b.0 + b.1, b.2 + b.3] of 128 bits each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> LanePairs(Vector512<float> a, Vector512<float> b) =>
        Avx512F.Shuffle4x128(a, b, 0x88) + Avx512F.Shuffle4x128(a, b, 0xDD);
}
