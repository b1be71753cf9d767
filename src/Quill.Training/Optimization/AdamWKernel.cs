// The AdamW element update over one parameter, Vector512/256/128 with a scalar Reference twin.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Quill.Training.Optimization;

/// <summary>
/// Per element, in float, in this order (no fused multiply-add, so every width gives the same bits as the Reference):
/// p ← p·decayScale; m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g·g; m̂ = m·invBias1; v̂ = v·invBias2;
/// p ← p − lr·m̂ / (sqrt(v̂) + eps). decayScale = 1 − lr·wd (1 for undecayed parameters),
/// invBias1 = 1/(1−β1^t), invBias2 = 1/(1−β2^t).
/// </summary>
public static class AdamWKernel
{
    public readonly record struct Coefficients(
        float LearningRate, float DecayScale, float Beta1, float Beta2, float Epsilon, float InvBias1, float InvBias2);

    public static void Update(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, in Coefficients c)
    {
        int n = CheckLengths(p, g, m, v);
        ref float rp = ref MemoryMarshal.GetReference(p);
        ref float rg = ref MemoryMarshal.GetReference(g);
        ref float rm = ref MemoryMarshal.GetReference(m);
        ref float rv = ref MemoryMarshal.GetReference(v);
        int i = 0;
        if (Vector512.IsHardwareAccelerated && n >= Vector512<float>.Count)
        {
            var lr = Vector512.Create(c.LearningRate); var ds = Vector512.Create(c.DecayScale);
            var b1 = Vector512.Create(c.Beta1); var b2 = Vector512.Create(c.Beta2);
            var ob1 = Vector512.Create(1f - c.Beta1); var ob2 = Vector512.Create(1f - c.Beta2);
            var eps = Vector512.Create(c.Epsilon); var ib1 = Vector512.Create(c.InvBias1); var ib2 = Vector512.Create(c.InvBias2);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var gi = Vector512.LoadUnsafe(ref rg, (nuint)i);
                var pi = Vector512.LoadUnsafe(ref rp, (nuint)i) * ds;
                var mi = b1 * Vector512.LoadUnsafe(ref rm, (nuint)i) + ob1 * gi;
                var vi = b2 * Vector512.LoadUnsafe(ref rv, (nuint)i) + ob2 * (gi * gi);
                pi -= lr * (mi * ib1) / (Vector512.Sqrt(vi * ib2) + eps);
                pi.StoreUnsafe(ref rp, (nuint)i); mi.StoreUnsafe(ref rm, (nuint)i); vi.StoreUnsafe(ref rv, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated && n - i >= Vector256<float>.Count)
        {
            var lr = Vector256.Create(c.LearningRate); var ds = Vector256.Create(c.DecayScale);
            var b1 = Vector256.Create(c.Beta1); var b2 = Vector256.Create(c.Beta2);
            var ob1 = Vector256.Create(1f - c.Beta1); var ob2 = Vector256.Create(1f - c.Beta2);
            var eps = Vector256.Create(c.Epsilon); var ib1 = Vector256.Create(c.InvBias1); var ib2 = Vector256.Create(c.InvBias2);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var gi = Vector256.LoadUnsafe(ref rg, (nuint)i);
                var pi = Vector256.LoadUnsafe(ref rp, (nuint)i) * ds;
                var mi = b1 * Vector256.LoadUnsafe(ref rm, (nuint)i) + ob1 * gi;
                var vi = b2 * Vector256.LoadUnsafe(ref rv, (nuint)i) + ob2 * (gi * gi);
                pi -= lr * (mi * ib1) / (Vector256.Sqrt(vi * ib2) + eps);
                pi.StoreUnsafe(ref rp, (nuint)i); mi.StoreUnsafe(ref rm, (nuint)i); vi.StoreUnsafe(ref rv, (nuint)i);
            }
        }
        if (Vector128.IsHardwareAccelerated && n - i >= Vector128<float>.Count)
        {
            var lr = Vector128.Create(c.LearningRate); var ds = Vector128.Create(c.DecayScale);
            var b1 = Vector128.Create(c.Beta1); var b2 = Vector128.Create(c.Beta2);
            var ob1 = Vector128.Create(1f - c.Beta1); var ob2 = Vector128.Create(1f - c.Beta2);
            var eps = Vector128.Create(c.Epsilon); var ib1 = Vector128.Create(c.InvBias1); var ib2 = Vector128.Create(c.InvBias2);
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                var gi = Vector128.LoadUnsafe(ref rg, (nuint)i);
                var pi = Vector128.LoadUnsafe(ref rp, (nuint)i) * ds;
                var mi = b1 * Vector128.LoadUnsafe(ref rm, (nuint)i) + ob1 * gi;
                var vi = b2 * Vector128.LoadUnsafe(ref rv, (nuint)i) + ob2 * (gi * gi);
                pi -= lr * (mi * ib1) / (Vector128.Sqrt(vi * ib2) + eps);
                pi.StoreUnsafe(ref rp, (nuint)i); mi.StoreUnsafe(ref rm, (nuint)i); vi.StoreUnsafe(ref rv, (nuint)i);
            }
        }
        for (; i < n; i++) UpdateOne(ref p[i], g[i], ref m[i], ref v[i], c);
    }

    /// <summary>The scalar meaning of <see cref="Update"/>, element by element.</summary>
    public static void UpdateReference(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, in Coefficients c)
    {
        int n = CheckLengths(p, g, m, v);
        for (int i = 0; i < n; i++) UpdateOne(ref p[i], g[i], ref m[i], ref v[i], c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UpdateOne(ref float p, float g, ref float m, ref float v, in Coefficients c)
    {
        float pi = p * c.DecayScale;
        float mi = c.Beta1 * m + (1f - c.Beta1) * g;
        float vi = c.Beta2 * v + (1f - c.Beta2) * (g * g);
        pi -= c.LearningRate * (mi * c.InvBias1) / (MathF.Sqrt(vi * c.InvBias2) + c.Epsilon);
        p = pi; m = mi; v = vi;
    }

    private static int CheckLengths(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v)
    {
        if (g.Length != p.Length || m.Length != p.Length || v.Length != p.Length) ThrowLengths(p.Length, g.Length, m.Length, v.Length);
        return p.Length;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLengths(int p, int g, int m, int v) =>
        throw new ArgumentException($"AdamW: expected parameter, gradient and moments of one length, found {p}, {g}, {m}, {v}");
}
