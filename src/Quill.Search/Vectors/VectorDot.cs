// Dot products of float vectors (cosine similarity once both are L2-normalised), widest SIMD path first.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Quill.Search.Vectors;

/// <summary>
/// <c>sum(a[i] * b[i])</c> in float32. The SIMD paths keep several partial sums and add them at the end, so results
/// differ from <see cref="DotReference"/> by rounding only (a few ulps of the sum of |a[i] * b[i]|).
/// </summary>
public static class VectorDot
{
    /// <summary>The dot product of two vectors of equal length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) ThrowLengthMismatch(a.Length, b.Length);
        if (Vector512.IsHardwareAccelerated && a.Length >= Vector512<float>.Count) return Dot512(a, b);
        if (Vector256.IsHardwareAccelerated && a.Length >= Vector256<float>.Count) return Dot256(a, b);
        if (Vector128.IsHardwareAccelerated && a.Length >= Vector128<float>.Count) return Dot128(a, b);
        return DotReference(a, b);
    }

    /// <summary>The plain loop every SIMD path is tested against.</summary>
    public static float DotReference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) ThrowLengthMismatch(a.Length, b.Length);
        float sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>
    /// <c>scores[r] = Dot(query, rows[r*D .. (r+1)*D])</c> for every row of a row-major matrix (R, D), D = query.Length.
    /// </summary>
    public static void DotRows(ReadOnlySpan<float> query, ReadOnlySpan<float> rows, Span<float> scores)
    {
        int d = query.Length;
        if (d == 0 ? rows.Length != 0 : rows.Length % d != 0 || rows.Length / d != scores.Length)
            ThrowRowsMismatch(rows.Length, d, scores.Length);
        for (int r = 0; r < scores.Length; r++) scores[r] = Dot(query, rows.Slice(r * d, d));
    }

    internal static float Dot512(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        ref float pa = ref MemoryMarshal.GetReference(a);
        ref float pb = ref MemoryMarshal.GetReference(b);
        int n = a.Length, w = Vector512<float>.Count, i = 0;
        Vector512<float> s0 = Vector512<float>.Zero, s1 = Vector512<float>.Zero;
        for (; i <= n - 2 * w; i += 2 * w)
        {
            s0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pa, (nuint)i), Vector512.LoadUnsafe(ref pb, (nuint)i), s0);
            s1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pa, (nuint)(i + w)), Vector512.LoadUnsafe(ref pb, (nuint)(i + w)), s1);
        }
        for (; i <= n - w; i += w)
            s0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pa, (nuint)i), Vector512.LoadUnsafe(ref pb, (nuint)i), s0);
        float sum = Vector512.Sum(s0 + s1);
        for (; i < n; i++) sum += Unsafe.Add(ref pa, i) * Unsafe.Add(ref pb, i);
        return sum;
    }

    internal static float Dot256(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        ref float pa = ref MemoryMarshal.GetReference(a);
        ref float pb = ref MemoryMarshal.GetReference(b);
        int n = a.Length, w = Vector256<float>.Count, i = 0;
        Vector256<float> s0 = Vector256<float>.Zero, s1 = Vector256<float>.Zero, s2 = Vector256<float>.Zero, s3 = Vector256<float>.Zero;
        for (; i <= n - 4 * w; i += 4 * w)
        {
            s0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref pa, (nuint)i), Vector256.LoadUnsafe(ref pb, (nuint)i), s0);
            s1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref pa, (nuint)(i + w)), Vector256.LoadUnsafe(ref pb, (nuint)(i + w)), s1);
            s2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref pa, (nuint)(i + 2 * w)), Vector256.LoadUnsafe(ref pb, (nuint)(i + 2 * w)), s2);
            s3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref pa, (nuint)(i + 3 * w)), Vector256.LoadUnsafe(ref pb, (nuint)(i + 3 * w)), s3);
        }
        for (; i <= n - w; i += w)
            s0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref pa, (nuint)i), Vector256.LoadUnsafe(ref pb, (nuint)i), s0);
        float sum = Vector256.Sum((s0 + s1) + (s2 + s3));
        for (; i < n; i++) sum += Unsafe.Add(ref pa, i) * Unsafe.Add(ref pb, i);
        return sum;
    }

    internal static float Dot128(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        ref float pa = ref MemoryMarshal.GetReference(a);
        ref float pb = ref MemoryMarshal.GetReference(b);
        int n = a.Length, w = Vector128<float>.Count, i = 0;
        Vector128<float> s0 = Vector128<float>.Zero, s1 = Vector128<float>.Zero;
        for (; i <= n - 2 * w; i += 2 * w)
        {
            s0 = Vector128.FusedMultiplyAdd(Vector128.LoadUnsafe(ref pa, (nuint)i), Vector128.LoadUnsafe(ref pb, (nuint)i), s0);
            s1 = Vector128.FusedMultiplyAdd(Vector128.LoadUnsafe(ref pa, (nuint)(i + w)), Vector128.LoadUnsafe(ref pb, (nuint)(i + w)), s1);
        }
        for (; i <= n - w; i += w)
            s0 = Vector128.FusedMultiplyAdd(Vector128.LoadUnsafe(ref pa, (nuint)i), Vector128.LoadUnsafe(ref pb, (nuint)i), s0);
        float sum = Vector128.Sum(s0 + s1);
        for (; i < n; i++) sum += Unsafe.Add(ref pa, i) * Unsafe.Add(ref pb, i);
        return sum;
    }

    private static void ThrowLengthMismatch(int a, int b) =>
        throw new ArgumentException($"vectors of equal length expected, found {a} and {b}");

    private static void ThrowRowsMismatch(int rows, int d, int scores) =>
        throw new ArgumentException($"a matrix of {scores} rows of {d} floats expected, found {rows} floats");
}
