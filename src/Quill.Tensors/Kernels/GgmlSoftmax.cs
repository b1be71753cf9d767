// One attention row's softmax in ggml-cpu's x86 order: exps by ggml_v_expf a vector at a time, each vector's sum added in double.
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Quill.Tensors.Quantization;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Kernels;

/// <summary>
/// As ggml_compute_forward_soft_max_f32 over a row of llama.cpp's KV cells: max; e = exp(s − max) through
/// <see cref="GgmlExp"/> sixteen (AVX-512) or eight (AVX2) cells at a time from cell 0, each vector's horizontal sum
/// (<see cref="HorizontalSums.One"/>, hsum_float_8) added to a double; then every e times (float)(1 / sum). Cells outside the
/// row (masked to −∞ there) add exact zeros, so a row that starts <c>lead</c> cells into its first vector, or ends inside
/// its last, takes those lanes as zeros. Assumes llama.cpp's cell count is a multiple of the vector (a context of whole
/// 256-cell pages), so no cell goes through its scalar tail.
/// </summary>
internal static unsafe class GgmlSoftmax
{
    /// <summary>s[0..n) ← softmax(s), the row's first cell <paramref name="lead"/> cells into a vector.</summary>
    public static void Row(float* s, int n, int lead, SimdWidth width)
    {
        var row = new Span<float>(s, n);
        float max = TensorPrimitives.Max(row);
        double sum = width switch
        {
            SimdWidth.Vector512 => Exponentiate512(s, n, lead % 16, max),
            SimdWidth.Vector256 => Exponentiate256(s, n, lead % 8, max),
            _ => ExponentiateScalar(s, n, max),
        };
        TensorPrimitives.Multiply(row, (float)(1.0 / sum), row);
    }

    /// <summary>Scalar <see cref="Row"/>: the same exps, vector sums and double total, one value at a time.</summary>
    public static void Reference(float* s, int n, int lead, SimdWidth width)
    {
        float max = float.NegativeInfinity;
        for (int i = 0; i < n; i++) max = s[i] > max ? s[i] : max;
        int lanes = width == SimdWidth.Vector512 ? 16 : width == SimdWidth.Vector256 ? 8 : 1;
        lead = lanes == 1 ? 0 : lead % lanes;
        double sum = 0;
        Span<float> block = stackalloc float[16];
        for (int start = -lead; start < n; start += lanes)
        {
            for (int l = 0; l < lanes; l++)
            {
                int i = start + l;
                if (i < 0 || i >= n) { block[l] = 0; continue; }
                float x = s[i] - max;
                s[i] = block[l] = lanes == 16 ? GgmlExp.ExpAvx512Form(x) : lanes == 8 ? GgmlExp.ExpAvx2Form(x) : MathF.Exp(x);
            }
            sum += lanes == 16 ? HorizontalSums.Reference(block) : lanes == 8 ? Hsum8(block) : block[0];
        }
        float scale = (float)(1.0 / sum);
        for (int i = 0; i < n; i++) s[i] *= scale;
    }

    private static double Exponentiate512(float* s, int n, int lead, float max)
    {
        Vector512<float> m = Vector512.Create(max);
        double sum = 0;
        int i = -lead;
        if (lead > 0 || n < 16)
        {
            sum += Partial512(s, i, n, m);
            i += 16;
        }
        for (; i + 16 <= n; i += 16)
        {
            Vector512<float> e = GgmlExp.Exp(Vector512.Load(s + i) - m);
            e.Store(s + i);
            sum += HorizontalSums.One(e);
        }
        if (i < n) sum += Partial512(s, i, n, m);
        return sum;
    }

    /// <summary>The vector of cells start..start+15, those outside [0, n) taken as −∞ (so their exps are 0 and not stored).</summary>
    private static float Partial512(float* s, int start, int n, Vector512<float> max)
    {
        float* block = stackalloc float[16];
        for (int l = 0; l < 16; l++) block[l] = start + l >= 0 && start + l < n ? s[start + l] : float.NegativeInfinity;
        Vector512<float> e = GgmlExp.Exp(Vector512.Load(block) - max);
        e.Store(block);
        for (int l = 0; l < 16; l++)
            if (start + l >= 0 && start + l < n) s[start + l] = block[l];
        return HorizontalSums.One(e);
    }

    private static double Exponentiate256(float* s, int n, int lead, float max)
    {
        Vector256<float> m = Vector256.Create(max);
        double sum = 0;
        int i = -lead;
        if (lead > 0 || n < 8)
        {
            sum += Partial256(s, i, n, m);
            i += 8;
        }
        for (; i + 8 <= n; i += 8)
        {
            Vector256<float> e = GgmlExp.Exp(Vector256.Load(s + i) - m);
            e.Store(s + i);
            sum += GgmlX86BlockDot.HorizontalSum(e);
        }
        if (i < n) sum += Partial256(s, i, n, m);
        return sum;
    }

    private static float Partial256(float* s, int start, int n, Vector256<float> max)
    {
        float* block = stackalloc float[8];
        for (int l = 0; l < 8; l++) block[l] = start + l >= 0 && start + l < n ? s[start + l] : float.NegativeInfinity;
        Vector256<float> e = GgmlExp.Exp(Vector256.Load(block) - max);
        e.Store(block);
        for (int l = 0; l < 8; l++)
            if (start + l >= 0 && start + l < n) s[start + l] = block[l];
        return GgmlX86BlockDot.HorizontalSum(e);
    }

    private static double ExponentiateScalar(float* s, int n, float max)
    {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += s[i] = MathF.Exp(s[i] - max);
        return sum;
    }

    private static float Hsum8(ReadOnlySpan<float> x)
    {
        float t0 = x[4] + x[0], t1 = x[5] + x[1], t2 = x[6] + x[2], t3 = x[7] + x[3];
        return (t0 + t2) + (t1 + t3);
    }
}
