// GELU in its exact erf form, x·½·(1 + erf(x/√2)), with a vectorised erf; the tanh approximation is GeluTanh.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Quill.Tensors.Kernels;

/// <summary>
/// erf comes from Abramowitz–Stegun 7.1.26 refined: erf(x) = 1 − t·P(t)·e^(−x²), t = 1/(1 + p|x|), with a degree-5
/// polynomial; absolute error below 1.5e-7, the size of float rounding near 1.
/// </summary>
public static class GeluErf
{
    private const float P = 0.3275911f;
    private const float A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;
    private const float InverseSqrt2 = 0.70710678118654752f;

    /// <summary>In place over <paramref name="x"/>.</summary>
    public static void Forward(Span<float> x)
    {
        int i = 0;
        ref float start = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= x.Length; i += 16)
            {
                ref float at = ref Unsafe.Add(ref start, i);
                Apply(Vector512.LoadUnsafe(ref at)).StoreUnsafe(ref at);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= x.Length; i += 8)
            {
                ref float at = ref Unsafe.Add(ref start, i);
                Apply(Vector256.LoadUnsafe(ref at)).StoreUnsafe(ref at);
            }
        }
        for (; i < x.Length; i++) x[i] = Scalar(x[i]);
    }

    /// <summary>The formula on 16 lanes, for kernels that apply GELU in their epilogue.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Vector512<float> v) => v * 0.5f * (Vector512<float>.One + ErfAndGauss(v, out _));

    /// <summary>The formula on 8 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Vector256<float> v) => v * 0.5f * (Vector256<float>.One + ErfAndGauss(v, out _));

    /// <summary>The same formula for one value (the tail of <see cref="Forward"/>).</summary>
    public static float Scalar(float x) => x * 0.5f * (1f + ErfAndGauss(x, out _));

    /// <summary>
    /// GELU's slope for training's backward pass: d/dx [x·Φ(x)] = Φ(x) + x·φ(x), Φ from the same erf as <see cref="Scalar"/>,
    /// φ(x) = e^(−x²/2)/√(2π).
    /// </summary>
    public static float Derivative(float x)
    {
        float erf = ErfAndGauss(x, out float gauss);
        return 0.5f * (1f + erf) + x * InverseSqrt2PI * gauss;
    }

    /// <summary>dx = dy · GELU′(x) elementwise (training's backward pass), 16 or 8 lanes at a time, <see cref="Derivative"/> on the tail.</summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int n = x.Length, i = 0;
        if (dy.Length < n || dx.Length < n)
            throw new ArgumentException($"GELU backward over {n} values needs gradients of {n}, found {dy.Length} and {dx.Length}");
        ref float px = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
        ref float pdy = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(dy);
        ref float pdx = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(dx);
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
                (Vector512.LoadUnsafe(ref pdy, (nuint)i) * Slope(Vector512.LoadUnsafe(ref px, (nuint)i))).StoreUnsafe(ref pdx, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8)
                (Vector256.LoadUnsafe(ref pdy, (nuint)i) * Slope(Vector256.LoadUnsafe(ref px, (nuint)i))).StoreUnsafe(ref pdx, (nuint)i);
        }
        for (; i < n; i++) dx[i] = dy[i] * Derivative(x[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Slope(Vector512<float> v)
    {
        var erf = ErfAndGauss(v, out var gauss);
        return 0.5f * (Vector512<float>.One + erf) + v * InverseSqrt2PI * gauss;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Slope(Vector256<float> v)
    {
        var erf = ErfAndGauss(v, out var gauss);
        return 0.5f * (Vector256<float>.One + erf) + v * InverseSqrt2PI * gauss;
    }

    /// <summary>erf(x/√2) on 16 lanes by the formula above, and <paramref name="gauss"/> = e^(−x²/2), the factor inside it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ErfAndGauss(Vector512<float> v, out Vector512<float> gauss)
    {
        var z = v * InverseSqrt2;
        var a = Vector512.Abs(z);
        var t = Vector512<float>.One / (Vector512<float>.One + a * P);
        var poly = ((((t * A5 + Vector512.Create(A4)) * t + Vector512.Create(A3)) * t + Vector512.Create(A2)) * t + Vector512.Create(A1)) * t;
        gauss = PolynomialExp.Exp(-(a * a));
        var erf = Vector512<float>.One - poly * gauss;
        return Vector512.ConditionalSelect(Vector512.LessThan(z, Vector512<float>.Zero), -erf, erf);
    }

    /// <summary>erf(x/√2) and e^(−x²/2) on 8 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ErfAndGauss(Vector256<float> v, out Vector256<float> gauss)
    {
        var z = v * InverseSqrt2;
        var a = Vector256.Abs(z);
        var t = Vector256<float>.One / (Vector256<float>.One + a * P);
        var poly = ((((t * A5 + Vector256.Create(A4)) * t + Vector256.Create(A3)) * t + Vector256.Create(A2)) * t + Vector256.Create(A1)) * t;
        gauss = PolynomialExp.Exp(-(a * a));
        var erf = Vector256<float>.One - poly * gauss;
        return Vector256.ConditionalSelect(Vector256.LessThan(z, Vector256<float>.Zero), -erf, erf);
    }

    /// <summary>erf(x/√2) and e^(−x²/2) for one value, bit for bit what a lane computes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ErfAndGauss(float x, out float gauss)
    {
        float z = x * InverseSqrt2, a = MathF.Abs(z);
        float t = 1f / (1f + P * a);
        float poly = ((((A5 * t + A4) * t + A3) * t + A2) * t + A1) * t;
        gauss = PolynomialExp.Scalar(-a * a);
        float erf = 1f - poly * gauss;
        return z < 0 ? -erf : erf;
    }

    /// <summary>The scalar meaning of <see cref="Derivative"/> in double, the reference for tests.</summary>
    public static double DerivativeReference(double x) => 0.5 * (1 + Erf(x / Math.Sqrt(2))) + x * Math.Exp(-x * x / 2) / Math.Sqrt(2 * Math.PI);

    private const float InverseSqrt2PI = 0.39894228040143268f;

    /// <summary>Scalar meaning with a double-precision erf (series and continued fraction), the reference for tests.</summary>
    public static float Reference(float x) => (float)(x * 0.5 * (1 + Erf(x / Math.Sqrt(2))));

    /// <summary>erf in double: Taylor series for |x| &lt; 3, 1 − erfc by continued fraction above.</summary>
    public static double Erf(double x)
    {
        double a = Math.Abs(x);
        double result;
        if (a < 3)
        {
            double sum = a, term = a, x2 = a * a;
            for (int n = 1; n < 200; n++)
            {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            result = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            double f = 0;
            for (int n = 60; n >= 1; n--) f = n / 2.0 / (a + f);
            result = 1 - Math.Exp(-a * a) / Math.Sqrt(Math.PI) / (a + f);
        }
        return x < 0 ? -result : result;
    }
}
