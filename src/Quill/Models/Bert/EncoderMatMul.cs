// y = x · Wᵀ + b for F32 activations and F32 weights in 4×4 register tiles over all cores; forward only, F32 only.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Quill.Tensors.Threading;

namespace Quill.Models.Bert;

/// <summary>
/// Multiplies T activation rows (T, K) by a weight (N, K) into (T, N) and adds a bias (N). Every output is one dot
/// product accumulated lane-wise in K order and summed the same way whichever tile, thread or batch position computes
/// it, so a row's result does not depend on the other rows of the batch (batched equals one by one, bit for bit).
/// Work is split over groups of four weight rows; tokens are walked in blocks that stay in L2.
/// One instance per encoder state; not thread-safe.
/// </summary>
public sealed unsafe class EncoderMatMul : IRangeJob, IDisposable
{
    private const int TokenBlock = 64;
    private readonly ComputePool _pool;
    private float* _zeros;
    private int _zerosLength;
    private float* _x, _w, _b, _y;
    private int _tokens, _k, _n;

    public EncoderMatMul(ComputePool pool) => _pool = pool;

    /// <summary>Scalar meaning: y[t, n] = b[n] + Σ_k x[t, k] · W[n, k], summed in double.</summary>
    public static void Reference(ReadOnlySpan<float> x, int tokens, int k, ReadOnlySpan<float> w, int n, ReadOnlySpan<float> bias, Span<float> y)
    {
        for (int t = 0; t < tokens; t++)
            for (int r = 0; r < n; r++)
            {
                double sum = 0;
                for (int i = 0; i < k; i++) sum += (double)x[t * k + i] * w[r * k + i];
                y[t * n + r] = (float)sum + (bias.IsEmpty ? 0 : bias[r]);
            }
    }

    /// <summary>y (T, N) = x (T, K) · w (N, K)ᵀ + bias (N, or null for none).</summary>
    public void Multiply(float* x, int tokens, int k, float* w, int n, float* bias, float* y)
    {
        if (tokens == 0 || n == 0) return;
        if (_zerosLength < k)
        {
            if (_zeros != null) NativeMemory.AlignedFree(_zeros);
            _zeros = (float*)NativeMemory.AlignedAlloc((nuint)k * sizeof(float), 64);
            NativeMemory.Clear(_zeros, (nuint)k * sizeof(float));
            _zerosLength = k;
        }
        _x = x; _w = w; _b = bias; _y = y;
        _tokens = tokens; _k = k; _n = n;
        _pool.Run(this, (n + 3) / 4);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void IRangeJob.Execute(int startGroup, int endGroup)
    {
        int k = _k, n = _n;
        var xs = stackalloc float*[4];
        var ws = stackalloc float*[4];
        var sums = stackalloc float[16];
        for (int tb = 0; tb < _tokens; tb += TokenBlock)
        {
            int te = Math.Min(tb + TokenBlock, _tokens);
            for (int g = startGroup; g < endGroup; g++)
            {
                int r0 = g * 4, rows = Math.Min(4, n - r0);
                for (int i = 0; i < 4; i++) ws[i] = i < rows ? _w + (long)(r0 + i) * k : _zeros;
                for (int t0 = tb; t0 < te; t0 += 4)
                {
                    int tokens = Math.Min(4, te - t0);
                    for (int i = 0; i < 4; i++) xs[i] = i < tokens ? _x + (long)(t0 + i) * k : _zeros;
                    Tile(xs, ws, k, sums);
                    for (int i = 0; i < tokens; i++)
                    {
                        float* row = _y + (long)(t0 + i) * n + r0;
                        for (int j = 0; j < rows; j++) row[j] = sums[i * 4 + j] + (_b == null ? 0f : _b[r0 + j]);
                    }
                }
            }
        }
    }

    /// <summary>The 16 dots of four activation rows with four weight rows: sums[i·4 + j] = x_i · w_j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile(float** x, float** w, int k, float* sums)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
            Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
            Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
            Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
            float* x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3], w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
            for (; i + 16 <= k; i += 16)
            {
                var v0 = Vector512.Load(w0 + i); var v1 = Vector512.Load(w1 + i);
                var v2 = Vector512.Load(w2 + i); var v3 = Vector512.Load(w3 + i);
                var u = Vector512.Load(x0 + i);
                a00 = Vector512.FusedMultiplyAdd(u, v0, a00); a01 = Vector512.FusedMultiplyAdd(u, v1, a01);
                a02 = Vector512.FusedMultiplyAdd(u, v2, a02); a03 = Vector512.FusedMultiplyAdd(u, v3, a03);
                u = Vector512.Load(x1 + i);
                a10 = Vector512.FusedMultiplyAdd(u, v0, a10); a11 = Vector512.FusedMultiplyAdd(u, v1, a11);
                a12 = Vector512.FusedMultiplyAdd(u, v2, a12); a13 = Vector512.FusedMultiplyAdd(u, v3, a13);
                u = Vector512.Load(x2 + i);
                a20 = Vector512.FusedMultiplyAdd(u, v0, a20); a21 = Vector512.FusedMultiplyAdd(u, v1, a21);
                a22 = Vector512.FusedMultiplyAdd(u, v2, a22); a23 = Vector512.FusedMultiplyAdd(u, v3, a23);
                u = Vector512.Load(x3 + i);
                a30 = Vector512.FusedMultiplyAdd(u, v0, a30); a31 = Vector512.FusedMultiplyAdd(u, v1, a31);
                a32 = Vector512.FusedMultiplyAdd(u, v2, a32); a33 = Vector512.FusedMultiplyAdd(u, v3, a33);
            }
            sums[0] = Vector512.Sum(a00); sums[1] = Vector512.Sum(a01); sums[2] = Vector512.Sum(a02); sums[3] = Vector512.Sum(a03);
            sums[4] = Vector512.Sum(a10); sums[5] = Vector512.Sum(a11); sums[6] = Vector512.Sum(a12); sums[7] = Vector512.Sum(a13);
            sums[8] = Vector512.Sum(a20); sums[9] = Vector512.Sum(a21); sums[10] = Vector512.Sum(a22); sums[11] = Vector512.Sum(a23);
            sums[12] = Vector512.Sum(a30); sums[13] = Vector512.Sum(a31); sums[14] = Vector512.Sum(a32); sums[15] = Vector512.Sum(a33);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
            Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
            Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
            Vector256<float> a30 = default, a31 = default, a32 = default, a33 = default;
            float* x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3], w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
            for (; i + 8 <= k; i += 8)
            {
                var v0 = Vector256.Load(w0 + i); var v1 = Vector256.Load(w1 + i);
                var v2 = Vector256.Load(w2 + i); var v3 = Vector256.Load(w3 + i);
                var u = Vector256.Load(x0 + i);
                a00 = Vector256.FusedMultiplyAdd(u, v0, a00); a01 = Vector256.FusedMultiplyAdd(u, v1, a01);
                a02 = Vector256.FusedMultiplyAdd(u, v2, a02); a03 = Vector256.FusedMultiplyAdd(u, v3, a03);
                u = Vector256.Load(x1 + i);
                a10 = Vector256.FusedMultiplyAdd(u, v0, a10); a11 = Vector256.FusedMultiplyAdd(u, v1, a11);
                a12 = Vector256.FusedMultiplyAdd(u, v2, a12); a13 = Vector256.FusedMultiplyAdd(u, v3, a13);
                u = Vector256.Load(x2 + i);
                a20 = Vector256.FusedMultiplyAdd(u, v0, a20); a21 = Vector256.FusedMultiplyAdd(u, v1, a21);
                a22 = Vector256.FusedMultiplyAdd(u, v2, a22); a23 = Vector256.FusedMultiplyAdd(u, v3, a23);
                u = Vector256.Load(x3 + i);
                a30 = Vector256.FusedMultiplyAdd(u, v0, a30); a31 = Vector256.FusedMultiplyAdd(u, v1, a31);
                a32 = Vector256.FusedMultiplyAdd(u, v2, a32); a33 = Vector256.FusedMultiplyAdd(u, v3, a33);
            }
            sums[0] = Vector256.Sum(a00); sums[1] = Vector256.Sum(a01); sums[2] = Vector256.Sum(a02); sums[3] = Vector256.Sum(a03);
            sums[4] = Vector256.Sum(a10); sums[5] = Vector256.Sum(a11); sums[6] = Vector256.Sum(a12); sums[7] = Vector256.Sum(a13);
            sums[8] = Vector256.Sum(a20); sums[9] = Vector256.Sum(a21); sums[10] = Vector256.Sum(a22); sums[11] = Vector256.Sum(a23);
            sums[12] = Vector256.Sum(a30); sums[13] = Vector256.Sum(a31); sums[14] = Vector256.Sum(a32); sums[15] = Vector256.Sum(a33);
        }
        else
        {
            for (int s = 0; s < 16; s++) sums[s] = 0;
        }
        for (; i < k; i++)
            for (int a = 0; a < 4; a++)
                for (int b = 0; b < 4; b++) sums[a * 4 + b] += x[a][i] * w[b][i];
    }

    public void Dispose()
    {
        if (_zeros != null) NativeMemory.AlignedFree(_zeros);
        _zeros = null;
    }
}
