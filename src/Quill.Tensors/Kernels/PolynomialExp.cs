// e^x in float for softmax and GELU: a range reduction and a degree-7 polynomial, inputs clamped to [−87.3, 88] (no ∞, no subnormals).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Quill.Tensors.Kernels;

/// <summary>
/// e^x = 2^n · e^r with n = round(x / ln 2) and r = x − n·ln 2 (ln 2 split in two so r is exact), |r| ≤ ln 2 / 2, and
/// e^r from its Taylor polynomial to r⁷ (truncation below 6e-9 relative). Relative error about 2 ulp against the true
/// value, in float only: the runtime's Vector512.Exp widens to double and costs about three times as much.
/// </summary>
public static class PolynomialExp
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2High = 0.693145751953125f, Ln2Low = 1.42860682030941723212e-6f;
    private const float Lowest = -87.3f, Highest = 88f;
    private const float C2 = 1f / 2, C3 = 1f / 6, C4 = 1f / 24, C5 = 1f / 120, C6 = 1f / 720, C7 = 1f / 5040;

    /// <summary>e^x on 16 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(Lowest)), Vector512.Create(Highest));
        var n = Vector512.Round(x * Log2E);
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2High), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Low), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(C7), r, Vector512.Create(C6));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(C5));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(C4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(C3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(C2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        var scale = Vector512.ShiftLeft(Vector512.ConvertToInt32(n) + Vector512.Create(127), 23).AsSingle();
        return p * scale;
    }

    /// <summary>e^x on 8 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(Lowest)), Vector256.Create(Highest));
        var n = Vector256.Round(x * Log2E);
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2High), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Low), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(C7), r, Vector256.Create(C6));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(C5));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(C4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(C3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(C2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        var scale = Vector256.ShiftLeft(Vector256.ConvertToInt32(n) + Vector256.Create(127), 23).AsSingle();
        return p * scale;
    }

    /// <summary>The same steps on one value (vector tails), bit for bit what a lane computes.</summary>
    public static float Scalar(float x)
    {
        x = MathF.Min(MathF.Max(x, Lowest), Highest);
        float n = MathF.Round(x * Log2E);
        float r = MathF.FusedMultiplyAdd(n, -Ln2High, x);
        r = MathF.FusedMultiplyAdd(n, -Ln2Low, r);
        float p = MathF.FusedMultiplyAdd(C7, r, C6);
        p = MathF.FusedMultiplyAdd(p, r, C5);
        p = MathF.FusedMultiplyAdd(p, r, C4);
        p = MathF.FusedMultiplyAdd(p, r, C3);
        p = MathF.FusedMultiplyAdd(p, r, C2);
        p = MathF.FusedMultiplyAdd(p, r, 1f);
        p = MathF.FusedMultiplyAdd(p, r, 1f);
        return p * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
    }

    /// <summary>In place over <paramref name="x"/>, the widest vectors first, then <see cref="Scalar"/>.</summary>
    public static void Forward(Span<float> x)
    {
        int i = 0;
        ref float start = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= x.Length; i += 16) Exp(Vector512.LoadUnsafe(ref start, (nuint)i)).StoreUnsafe(ref start, (nuint)i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= x.Length; i += 8) Exp(Vector256.LoadUnsafe(ref start, (nuint)i)).StoreUnsafe(ref start, (nuint)i);
        for (; i < x.Length; i++) x[i] = Scalar(x[i]);
    }

    /// <summary>Scalar meaning: e^x in double, over the clamped range.</summary>
    public static float Reference(float x) => (float)Math.Exp(Math.Clamp(x, Lowest, Highest));
}
