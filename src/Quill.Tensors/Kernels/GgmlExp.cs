// e^x exactly as ggml-cpu computes it on x86 for softmax and SiLU (ggml_v_expf, adapted from Arm's optimized routines):
// the AVX-512 form on 16 lanes, the AVX2 form on 8, each with a scalar twin that repeats its steps on one value.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Quill.Tensors.Kernels;

/// <summary>
/// n = round(x·log2 e) by the 1.5·2^23 shift, b = x − n·ln 2 (ln 2 in two parts, fused), a degree-5 polynomial in b with
/// the same constants and fused multiply-adds as ggml, then 2^n: by vscalefps in the AVX-512 form, by building the
/// exponent bits in the AVX2 form (whose polynomial leaves out the 1, added by the final FMA). Maximum error 1.5 ulp;
/// |n| &gt; 192 gives 0 or ∞. Both forms are ported rather than one, because llama.cpp's AVX-512 and AVX2 builds differ in
/// the last bit and a softmax or SwiGLU that differs by an ulp can flip a later activation quant.
/// </summary>
internal static class GgmlExp
{
    private static float F(uint bits) => BitConverter.UInt32BitsToSingle(bits);

    private static readonly float Shift = F(0x4b400000), Log2E = F(0x3fb8aa3b), Ln2High = F(0x3f317200), Ln2Low = F(0x35bfbe8e);
    private static readonly float C1 = F(0x3f7ffff6), C2 = F(0x3efffedb), C3 = F(0x3e2aaf33), C4 = F(0x3d2b9f17), C5 = F(0x3c072010);

    /// <summary>ggml's AVX-512 ggml_v_expf on 16 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        Vector512<float> shift = Vector512.Create(Shift);
        Vector512<float> n = Avx512F.FusedMultiplyAdd(x, Vector512.Create(Log2E), shift) - shift;
        Vector512<float> b = Avx512F.FusedMultiplyAddNegated(n, Vector512.Create(Ln2Low),
            Avx512F.FusedMultiplyAddNegated(n, Vector512.Create(Ln2High), x));
        Vector512<float> u = b * b;
        Vector512<float> j = Avx512F.FusedMultiplyAdd(
            Avx512F.FusedMultiplyAdd(Avx512F.FusedMultiplyAdd(Vector512.Create(C5), b, Vector512.Create(C4)), u,
                Avx512F.FusedMultiplyAdd(Vector512.Create(C3), b, Vector512.Create(C2))),
            u, Avx512F.FusedMultiplyAdd(Vector512.Create(C1), b, Vector512<float>.One));
        Vector512<float> result = Avx512F.Scale(j, n);
        Vector512<float> far = Vector512.GreaterThan(Vector512.Abs(n), Vector512.Create(192f));
        if (far == Vector512<float>.Zero) return result;
        Vector512<float> saturated = Vector512.ConditionalSelect(Vector512.LessThanOrEqual(n, Vector512<float>.Zero), Vector512<float>.Zero,
            Vector512.Create(float.PositiveInfinity));
        return Vector512.ConditionalSelect(far, saturated, result);
    }

    /// <summary>Scalar <see cref="Exp(Vector512{float})"/>: the same steps on one value.</summary>
    public static float ExpAvx512Form(float x)
    {
        float n = MathF.FusedMultiplyAdd(x, Log2E, Shift) - Shift;
        float b = MathF.FusedMultiplyAdd(-n, Ln2Low, MathF.FusedMultiplyAdd(-n, Ln2High, x));
        float u = b * b;
        float j = MathF.FusedMultiplyAdd(
            MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(C5, b, C4), u, MathF.FusedMultiplyAdd(C3, b, C2)), u, MathF.FusedMultiplyAdd(C1, b, 1f));
        if (MathF.Abs(n) > 192f) return n <= 0 ? 0f : float.PositiveInfinity;
        return float.IsNaN(n) ? float.NaN : MathF.ScaleB(j, (int)n);
    }

    /// <summary>ggml's AVX2 ggml_v_expf on 8 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        Vector256<float> shift = Vector256.Create(Shift);
        Vector256<float> z = Fma.MultiplyAdd(x, Vector256.Create(Log2E), shift);
        Vector256<float> n = z - shift;
        Vector256<float> b = Fma.MultiplyAddNegated(n, Vector256.Create(Ln2Low), Fma.MultiplyAddNegated(n, Vector256.Create(Ln2High), x));
        Vector256<uint> e = z.AsUInt32() << 23;
        Vector256<float> k = (e + Vector256.Create(1f).AsUInt32()).AsSingle();
        Vector256<float> far = Vector256.GreaterThan(Vector256.Abs(n), Vector256.Create(126f));
        Vector256<float> u = b * b;
        Vector256<float> j = Fma.MultiplyAdd(
            Fma.MultiplyAdd(Fma.MultiplyAdd(Vector256.Create(C5), b, Vector256.Create(C4)), u, Fma.MultiplyAdd(Vector256.Create(C3), b, Vector256.Create(C2))),
            u, Vector256.Create(C1) * b);
        if (far == Vector256<float>.Zero) return Fma.MultiplyAdd(j, k, k);
        Vector256<uint> g = Vector256.LessThanOrEqual(n, Vector256<float>.Zero).AsUInt32() & Vector256.Create(0x82000000u);
        Vector256<float> s1 = (g + Vector256.Create(0x7f000000u)).AsSingle();
        Vector256<float> s2 = (e - g).AsSingle();
        Vector256<float> beyond = Vector256.GreaterThan(Vector256.Abs(n), Vector256.Create(192f));
        return Vector256.ConditionalSelect(beyond, s1 * s1,
            Vector256.ConditionalSelect(far, Fma.MultiplyAdd(s2, j, s2) * s1, Fma.MultiplyAdd(k, j, k)));
    }

    /// <summary>Scalar <see cref="Exp(Vector256{float})"/>: the same steps and bit arithmetic on one value.</summary>
    public static float ExpAvx2Form(float x)
    {
        float z = MathF.FusedMultiplyAdd(x, Log2E, Shift);
        float n = z - Shift;
        float b = MathF.FusedMultiplyAdd(-n, Ln2Low, MathF.FusedMultiplyAdd(-n, Ln2High, x));
        uint e = BitConverter.SingleToUInt32Bits(z) << 23;
        float k = F(e + 0x3f800000u);
        float u = b * b;
        float j = MathF.FusedMultiplyAdd(
            MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(C5, b, C4), u, MathF.FusedMultiplyAdd(C3, b, C2)), u, C1 * b);
        if (!(MathF.Abs(n) > 126f)) return MathF.FusedMultiplyAdd(j, k, k);
        uint g = n <= 0 ? 0x82000000u : 0u;
        float s1 = F(g + 0x7f000000u), s2 = F(e - g);
        if (MathF.Abs(n) > 192f) return s1 * s1;
        return MathF.FusedMultiplyAdd(s2, j, s2) * s1;
    }
}
