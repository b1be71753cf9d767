// The SwiGLU gate y = silu(g)·u and its backward, split over element chunks on a ComputePool.
using System.Numerics.Tensors;
using Quill.Tensors.Threading;

namespace Quill.Training.Kernels;

/// <summary>
/// Forward: sigmoid = σ(g), y = g·σ(g)·u. Backward: du = dy·g·σ(g), dg = dy·u·σ(g)·(1 + g·(1 − σ(g))). Elementwise, so
/// any split gives the same bits.
/// </summary>
public static unsafe class SwiGluRows
{
    private const int Chunk = 4096;

    public static void Forward(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> sigmoid, Span<float> y, ComputePool? pool)
    {
        int n = gate.Length;
        Require(up.Length >= n && sigmoid.Length >= n && y.Length >= n, n);
        fixed (float* g = gate) fixed (float* u = up) fixed (float* s = sigmoid) fixed (float* o = y)
        {
            var job = t_job ??= new Job();
            job.Set(g, u, s, o, null, null, n, backward: false);
            Run(pool, job, n);
        }
    }

    public static void Backward(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, ReadOnlySpan<float> sigmoid, ReadOnlySpan<float> dy,
        Span<float> dgate, Span<float> dup, ComputePool? pool)
    {
        int n = gate.Length;
        Require(up.Length >= n && sigmoid.Length >= n && dy.Length >= n && dgate.Length >= n && dup.Length >= n, n);
        fixed (float* g = gate) fixed (float* u = up) fixed (float* s = sigmoid) fixed (float* d = dy) fixed (float* dg = dgate) fixed (float* du = dup)
        {
            var job = t_job ??= new Job();
            job.Set(g, u, s, d, dg, du, n, backward: true);
            Run(pool, job, n);
        }
    }

    /// <summary>The scalar meaning of Backward for one element: (dgate, dup).</summary>
    public static (float DGate, float DUp) BackwardReference(float g, float u, float dy)
    {
        float s = 1f / (1f + MathF.Exp(-g));
        return (dy * u * s * (1f + g * (1f - s)), dy * (g * s));
    }

    private static void Require(bool condition, int n)
    {
        if (!condition) throw new ArgumentException($"SwiGluRows: expected every operand of at least {n} values, found a shorter one");
    }

    private static void Run(ComputePool? pool, Job job, int n)
    {
        int chunks = (n + Chunk - 1) / Chunk;
        if (pool is null) job.Execute(0, chunks);
        else pool.Run(job, chunks);
        job.Set(null, null, null, null, null, null, 0, false);
    }

    [ThreadStatic] private static Job? t_job;

    private sealed class Job : IRangeJob
    {
        private float* _g, _u, _s, _a, _dg, _du;
        private int _n;
        private bool _backward;

        public void Set(float* g, float* u, float* s, float* a, float* dg, float* du, int n, bool backward)
        {
            _g = g; _u = u; _s = s; _a = a; _dg = dg; _du = du; _n = n; _backward = backward;
        }

        public void Execute(int start, int end)
        {
            int from = start * Chunk, length = Math.Min(end * Chunk, _n) - from;
            var g = new ReadOnlySpan<float>(_g + from, length);
            var u = new ReadOnlySpan<float>(_u + from, length);
            if (!_backward)
            {
                var s = new Span<float>(_s + from, length);
                var y = new Span<float>(_a + from, length);
                TensorPrimitives.Sigmoid(g, s);
                TensorPrimitives.Multiply(g, s, y);
                TensorPrimitives.Multiply(y, u, y);
                return;
            }
            float* gp = _g + from, up = _u + from, sp = _s + from, dy = _a + from, dg = _dg + from, du = _du + from;
            for (int i = 0; i < length; i++)
            {
                float gi = gp[i], si = sp[i];
                du[i] = dy[i] * (gi * si);
                dg[i] = dy[i] * up[i] * si * (1f + gi * (1f - si));
            }
        }
    }
}
