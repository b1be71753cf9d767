// y = x · Wᵀ + b (optionally then GELU) for F32 activations and PackedLinear weights, 12 tokens × 32 outputs a register tile.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Quill.Tensors.Threading;

namespace Quill.Tensors.Kernels;

/// <summary>
/// Multiplies T activation rows (T, K) by a <see cref="PackedLinear"/> weight (N, K) into (T, N) and adds a bias (N).
/// Every output lane accumulates x[t, k] · w[n, k] with one fused multiply-add per k in K order, whatever tile, thread
/// or batch position computes it, so a row's result does not depend on the other rows of the batch (batched equals one
/// by one, bit for bit). Work items are (panel, tile of 12 tokens), panel-major, claimed a few at a time by the pool's threads.
/// One instance per encoder state; not thread-safe.
/// </summary>
public sealed unsafe class PackedMatMul : IRangeJob, IDisposable
{
    private const int TileTokens = 12, Width = PackedLinear.PanelWidth;
    private const int ItemsPerClaim = 4;   // work items a thread takes at a time: small, so a descheduled thread holds up little
    private readonly ComputePool _pool;
    private float* _x, _b, _y;
    private PackedLinear? _w;
    private int _tokens, _tiles, _items, _next;
    private bool _gelu;
    private int _blockWidth;

    public PackedMatMul(ComputePool pool) => _pool = pool;

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

    /// <summary>
    /// y (T, N) = x (T, K) · wᵀ + bias (N, or null for none), then <see cref="GeluErf"/> on every output when
    /// <paramref name="applyGelu"/> (the feed-forward's first layer, fused so its (T, F) output is written once).
    /// With <paramref name="blockWidth"/> B &gt; 0 (a multiple of 32 dividing N) y is laid out block-major, (N/B, T, B):
    /// output n of token t goes to y[(n / B)·T·B + t·B + n % B], e.g. attention heads each as one contiguous run.
    /// </summary>
    public void Multiply(float* x, int tokens, PackedLinear w, float* bias, float* y, bool applyGelu = false, int blockWidth = 0)
    {
        if (tokens == 0) return;
        if (blockWidth < 0 || blockWidth % Width != 0 || (blockWidth > 0 && w.Rows % blockWidth != 0))
            throw new ArgumentException($"a block width must be a multiple of {Width} that divides {w.Rows}, found {blockWidth}", nameof(blockWidth));
        _x = x; _w = w; _b = bias; _y = y; _gelu = applyGelu; _blockWidth = blockWidth;
        _tokens = tokens;
        _tiles = (tokens + TileTokens - 1) / TileTokens;
        _items = _tiles * w.Panels;
        _next = 0;
        // Each thread claims items from a shared counter rather than a fixed share, so a thread the OS preempts
        // (other processes on the same cores) leaves its remaining work to the others.
        _pool.Run(this, _pool.ThreadCount);
        _w = null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void IRangeJob.Execute(int start, int end)
    {
        var w = _w!;
        int k = w.Columns;
        float* sums = stackalloc float[TileTokens * Width];
        while (true)
        {
            int first = Interlocked.Add(ref _next, ItemsPerClaim) - ItemsPerClaim;
            if (first >= _items) return;
            int last = Math.Min(first + ItemsPerClaim, _items);
            for (int item = first; item < last; item++)
            {
                int panel = item / _tiles, tile = item % _tiles;
                int t0 = tile * TileTokens, tokens = Math.Min(TileTokens, _tokens - t0);
                if (Vector512.IsHardwareAccelerated && tokens == TileTokens) Tile12x32(_x + (long)t0 * k, k, w.Panel(panel), sums);
                else TileAnyx32(_x + (long)t0 * k, tokens, k, w.Panel(panel), sums);
                Store(sums, t0, tokens, panel, w.Rows);
            }
        }
    }

    /// <summary>y[t0 + t, panel columns] = sums[t] + bias, then GELU if asked; whole panels with vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Store(float* sums, int t0, int tokens, int panel, int n)
    {
        int c0 = panel * Width, columns = Math.Min(Width, n - c0);
        float* bias = _b == null ? null : _b + c0;
        for (int t = 0; t < tokens; t++)
        {
            float* row = _blockWidth == 0
                ? _y + (long)(t0 + t) * n + c0
                : _y + (long)(c0 / _blockWidth) * _tokens * _blockWidth + (long)(t0 + t) * _blockWidth + c0 % _blockWidth;
            float* s = sums + t * Width;
            if (columns == Width && Vector512.IsHardwareAccelerated)
            {
                var v0 = Vector512.Load(s);
                var v1 = Vector512.Load(s + 16);
                if (bias != null) { v0 += Vector512.Load(bias); v1 += Vector512.Load(bias + 16); }
                if (_gelu) { v0 = GeluErf.Apply(v0); v1 = GeluErf.Apply(v1); }
                v0.Store(row);
                v1.Store(row + 16);
            }
            else if (columns == Width && Vector256.IsHardwareAccelerated)
            {
                for (int j = 0; j < Width; j += 8)
                {
                    var v = Vector256.Load(s + j);
                    if (bias != null) v += Vector256.Load(bias + j);
                    if (_gelu) v = GeluErf.Apply(v);
                    v.Store(row + j);
                }
            }
            else
            {
                for (int j = 0; j < columns; j++)
                {
                    float v = s[j] + (bias == null ? 0f : bias[j]);
                    row[j] = _gelu ? GeluErf.Scalar(v) : v;
                }
            }
        }
    }

    /// <summary>sums (12, 32) = x (12 rows of K) · panel (K, 32), one FMA per k per lane: 24 of the 32 registers accumulate.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile12x32(float* x, int k, float* panel, float* sums)
    {
        Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
        Vector512<float> a40 = default, a41 = default, a50 = default, a51 = default, a60 = default, a61 = default, a70 = default, a71 = default;
        Vector512<float> a80 = default, a81 = default, a90 = default, a91 = default, aA0 = default, aA1 = default, aB0 = default, aB1 = default;
        float* x0 = x, x1 = x + k, x2 = x + 2 * k, x3 = x + 3 * k, x4 = x + 4 * k, x5 = x + 5 * k;
        float* x6 = x + 6 * k, x7 = x + 7 * k, x8 = x + 8 * k, x9 = x + 9 * k, xA = x + 10 * k, xB = x + 11 * k;
        for (int i = 0; i < k; i++)
        {
            var w0 = Vector512.LoadAligned(panel + i * Width);
            var w1 = Vector512.LoadAligned(panel + i * Width + 16);
            var b = Vector512.Create(x0[i]); a00 = Vector512.FusedMultiplyAdd(b, w0, a00); a01 = Vector512.FusedMultiplyAdd(b, w1, a01);
            b = Vector512.Create(x1[i]); a10 = Vector512.FusedMultiplyAdd(b, w0, a10); a11 = Vector512.FusedMultiplyAdd(b, w1, a11);
            b = Vector512.Create(x2[i]); a20 = Vector512.FusedMultiplyAdd(b, w0, a20); a21 = Vector512.FusedMultiplyAdd(b, w1, a21);
            b = Vector512.Create(x3[i]); a30 = Vector512.FusedMultiplyAdd(b, w0, a30); a31 = Vector512.FusedMultiplyAdd(b, w1, a31);
            b = Vector512.Create(x4[i]); a40 = Vector512.FusedMultiplyAdd(b, w0, a40); a41 = Vector512.FusedMultiplyAdd(b, w1, a41);
            b = Vector512.Create(x5[i]); a50 = Vector512.FusedMultiplyAdd(b, w0, a50); a51 = Vector512.FusedMultiplyAdd(b, w1, a51);
            b = Vector512.Create(x6[i]); a60 = Vector512.FusedMultiplyAdd(b, w0, a60); a61 = Vector512.FusedMultiplyAdd(b, w1, a61);
            b = Vector512.Create(x7[i]); a70 = Vector512.FusedMultiplyAdd(b, w0, a70); a71 = Vector512.FusedMultiplyAdd(b, w1, a71);
            b = Vector512.Create(x8[i]); a80 = Vector512.FusedMultiplyAdd(b, w0, a80); a81 = Vector512.FusedMultiplyAdd(b, w1, a81);
            b = Vector512.Create(x9[i]); a90 = Vector512.FusedMultiplyAdd(b, w0, a90); a91 = Vector512.FusedMultiplyAdd(b, w1, a91);
            b = Vector512.Create(xA[i]); aA0 = Vector512.FusedMultiplyAdd(b, w0, aA0); aA1 = Vector512.FusedMultiplyAdd(b, w1, aA1);
            b = Vector512.Create(xB[i]); aB0 = Vector512.FusedMultiplyAdd(b, w0, aB0); aB1 = Vector512.FusedMultiplyAdd(b, w1, aB1);
        }
        a00.Store(sums); a01.Store(sums + 16); a10.Store(sums + 32); a11.Store(sums + 48);
        a20.Store(sums + 64); a21.Store(sums + 80); a30.Store(sums + 96); a31.Store(sums + 112);
        a40.Store(sums + 128); a41.Store(sums + 144); a50.Store(sums + 160); a51.Store(sums + 176);
        a60.Store(sums + 192); a61.Store(sums + 208); a70.Store(sums + 224); a71.Store(sums + 240);
        a80.Store(sums + 256); a81.Store(sums + 272); a90.Store(sums + 288); a91.Store(sums + 304);
        aA0.Store(sums + 320); aA1.Store(sums + 336); aB0.Store(sums + 352); aB1.Store(sums + 368);
    }

    /// <summary>
    /// The same per-lane arithmetic for 1 to 12 tokens with 256-bit vectors (any x64 or Arm64 machine): four tokens at a
    /// time (16 accumulators), then one at a time.
    /// </summary>
    private static void TileAnyx32(float* x, int tokens, int k, float* panel, float* sums)
    {
        int t = 0;
        for (; t + 4 <= tokens; t += 4) Tile4x32(x + (long)t * k, k, panel, sums + t * Width);
        for (; t < tokens; t++)
        {
            float* xt = x + (long)t * k;
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int i = 0; i < k; i++)
            {
                var b = Vector256.Create(xt[i]);
                float* p = panel + i * Width;
                a0 = Vector256.FusedMultiplyAdd(b, Vector256.Load(p), a0);
                a1 = Vector256.FusedMultiplyAdd(b, Vector256.Load(p + 8), a1);
                a2 = Vector256.FusedMultiplyAdd(b, Vector256.Load(p + 16), a2);
                a3 = Vector256.FusedMultiplyAdd(b, Vector256.Load(p + 24), a3);
            }
            float* s = sums + t * Width;
            a0.Store(s); a1.Store(s + 8); a2.Store(s + 16); a3.Store(s + 24);
        }
    }

    /// <summary>sums (4, 32) = x (4 rows of K) · panel (K, 32) with 256-bit vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile4x32(float* x, int k, float* panel, float* sums)
    {
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default;
        float* x0 = x, x1 = x + k, x2 = x + 2 * k, x3 = x + 3 * k;
        for (int i = 0; i < k; i++)
        {
            float* p = panel + i * Width;
            var w0 = Vector256.Load(p);
            var w1 = Vector256.Load(p + 8);
            var w2 = Vector256.Load(p + 16);
            var w3 = Vector256.Load(p + 24);
            var b = Vector256.Create(x0[i]);
            a00 = Vector256.FusedMultiplyAdd(b, w0, a00); a01 = Vector256.FusedMultiplyAdd(b, w1, a01);
            a02 = Vector256.FusedMultiplyAdd(b, w2, a02); a03 = Vector256.FusedMultiplyAdd(b, w3, a03);
            b = Vector256.Create(x1[i]);
            a10 = Vector256.FusedMultiplyAdd(b, w0, a10); a11 = Vector256.FusedMultiplyAdd(b, w1, a11);
            a12 = Vector256.FusedMultiplyAdd(b, w2, a12); a13 = Vector256.FusedMultiplyAdd(b, w3, a13);
            b = Vector256.Create(x2[i]);
            a20 = Vector256.FusedMultiplyAdd(b, w0, a20); a21 = Vector256.FusedMultiplyAdd(b, w1, a21);
            a22 = Vector256.FusedMultiplyAdd(b, w2, a22); a23 = Vector256.FusedMultiplyAdd(b, w3, a23);
            b = Vector256.Create(x3[i]);
            a30 = Vector256.FusedMultiplyAdd(b, w0, a30); a31 = Vector256.FusedMultiplyAdd(b, w1, a31);
            a32 = Vector256.FusedMultiplyAdd(b, w2, a32); a33 = Vector256.FusedMultiplyAdd(b, w3, a33);
        }
        a00.Store(sums); a01.Store(sums + 8); a02.Store(sums + 16); a03.Store(sums + 24);
        a10.Store(sums + 32); a11.Store(sums + 40); a12.Store(sums + 48); a13.Store(sums + 56);
        a20.Store(sums + 64); a21.Store(sums + 72); a22.Store(sums + 80); a23.Store(sums + 88);
        a30.Store(sums + 96); a31.Store(sums + 104); a32.Store(sums + 112); a33.Store(sums + 120);
    }

    public void Dispose() { }
}
