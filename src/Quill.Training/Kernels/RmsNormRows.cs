// RMSNorm forward and input gradient split over rows on a ComputePool; the weight gradient is the caller's (row order).
using System.Numerics.Tensors;
using Quill.Tensors.Kernels;
using Quill.Tensors.Threading;

namespace Quill.Training.Kernels;

/// <summary>
/// Forward per row of C: r = 1/√(mean(x²) + eps), y = x·r·w. Backward per row: dx = r·(dy⊙w) − x·r³·Σ(dy⊙w⊙x)/C.
/// Each row is one thread's work.
/// </summary>
public static unsafe class RmsNormRows
{
    private const int RowsPerChunk = 16;

    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y, Span<float> rstd, float eps, ComputePool? pool)
    {
        int dim = weight.Length, rows = dim == 0 ? 0 : x.Length / dim;
        Require(y.Length >= x.Length && rstd.Length >= rows, rows, dim);
        fixed (float* px = x) fixed (float* pw = weight) fixed (float* py = y) fixed (float* pr = rstd)
        {
            var job = t_job ??= new Job();
            job.Set(px, pw, py, pr, null, dim, rows, eps, backward: false);
            Run(pool, job, rows);
        }
    }

    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> rstd, ReadOnlySpan<float> dy, Span<float> dx,
        ComputePool? pool)
    {
        int dim = weight.Length, rows = dim == 0 ? 0 : x.Length / dim;
        Require(dy.Length >= x.Length && dx.Length >= x.Length && rstd.Length >= rows, rows, dim);
        fixed (float* px = x) fixed (float* pw = weight) fixed (float* pd = dy) fixed (float* pr = rstd) fixed (float* pdx = dx)
        {
            var job = t_job ??= new Job();
            job.Set(px, pw, pd, pr, pdx, dim, rows, 0f, backward: true);
            Run(pool, job, rows);
        }
    }

    private static void Require(bool condition, int rows, int dim)
    {
        if (!condition) throw new ArgumentException($"RmsNormRows: expected operands of ({rows}, {dim}), found a shorter one");
    }

    private static void Run(ComputePool? pool, Job job, int rows)
    {
        int chunks = (rows + RowsPerChunk - 1) / RowsPerChunk;
        if (pool is null) job.Execute(0, chunks);
        else pool.Run(job, chunks);
        job.Set(null, null, null, null, null, 0, 0, 0f, false);
    }

    [ThreadStatic] private static Job? t_job;
    [ThreadStatic] private static float[]? t_scratch;

    private sealed class Job : IRangeJob
    {
        private float* _x, _w, _a, _r, _dx;
        private int _dim, _rows;
        private float _eps;
        private bool _backward;

        public void Set(float* x, float* w, float* a, float* r, float* dx, int dim, int rows, float eps, bool backward)
        {
            _x = x; _w = w; _a = a; _r = r; _dx = dx; _dim = dim; _rows = rows; _eps = eps; _backward = backward;
        }

        public void Execute(int start, int end)
        {
            int dim = _dim;
            var w = new ReadOnlySpan<float>(_w, dim);
            var tmp = t_scratch;
            if (tmp is null || tmp.Length < dim) t_scratch = tmp = new float[dim];
            var scratch = tmp.AsSpan(0, dim);
            for (int t = start * RowsPerChunk; t < Math.Min(end * RowsPerChunk, _rows); t++)
            {
                var xt = new ReadOnlySpan<float>(_x + (long)t * dim, dim);
                if (!_backward)
                {
                    var yt = new Span<float>(_a + (long)t * dim, dim);
                    float r = RmsNorm.InverseRms(xt, _eps);
                    _r[t] = r;
                    TensorPrimitives.Multiply(xt, r, yt);
                    TensorPrimitives.Multiply(yt, w, yt);
                    continue;
                }
                var dyt = new ReadOnlySpan<float>(_a + (long)t * dim, dim);
                var dxt = new Span<float>(_dx + (long)t * dim, dim);
                float rr = _r[t];
                TensorPrimitives.Multiply(dyt, w, scratch);
                float c = rr * rr * rr * TensorPrimitives.Dot(scratch, xt) / dim;
                TensorPrimitives.Multiply(scratch, rr, dxt);
                TensorPrimitives.MultiplyAdd(xt, -c, dxt, dxt);
            }
        }
    }
}
