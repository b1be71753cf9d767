// Row-parallel softmax cross-entropy forward and backward over (rows, V) logits; not the mean or the ignore policy.
using System.Numerics.Tensors;
using Quill.Tensors.Threading;

namespace Quill.Training.Kernels;

/// <summary>
/// Forward: probs[t] = softmax(logits[t]) and loss[t] = −log probs[t][target[t]] for every row whose target is not
/// negative (other rows are left as they were). Backward: dlogits[t] = (probs[t] − onehot(target[t]))·scale, one scale
/// for all rows or one per row, zero rows for negative targets; probs and dlogits may be the same memory. Each row is
/// one thread's work, so results do not depend on the thread count.
/// </summary>
public static unsafe class SoftmaxCrossEntropyRows
{
    public static void Forward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, Span<float> probs, Span<double> loss, int vocab, ComputePool? pool)
    {
        int rows = targets.Length;
        if (logits.Length < rows * vocab || probs.Length < rows * vocab || loss.Length < rows)
            throw new ArgumentException($"SoftmaxCrossEntropyRows: expected logits and probs of ({rows}, {vocab}), found {logits.Length} and {probs.Length}");
        fixed (float* l = logits) fixed (int* t = targets) fixed (float* p = probs) fixed (double* s = loss)
        {
            var job = t_job ??= new Job();
            job.Set(l, t, p, s, null, vocab, 0f, backward: false);
            Run(pool, job, rows);
        }
    }

    public static void Backward(ReadOnlySpan<float> probs, ReadOnlySpan<int> targets, Span<float> dlogits, float scale, int vocab, ComputePool? pool) =>
        Backward(probs, targets, dlogits, scale, default, vocab, pool);

    /// <summary>Backward with row t scaled by <paramref name="rowScales"/>[t].</summary>
    public static void Backward(ReadOnlySpan<float> probs, ReadOnlySpan<int> targets, Span<float> dlogits, ReadOnlySpan<float> rowScales, int vocab,
        ComputePool? pool)
    {
        if (rowScales.Length != targets.Length)
            throw new ArgumentException($"SoftmaxCrossEntropyRows: expected {targets.Length} row scales, found {rowScales.Length}");
        Backward(probs, targets, dlogits, 0f, rowScales, vocab, pool);
    }

    private static void Backward(ReadOnlySpan<float> probs, ReadOnlySpan<int> targets, Span<float> dlogits, float scale, ReadOnlySpan<float> rowScales,
        int vocab, ComputePool? pool)
    {
        int rows = targets.Length;
        if (dlogits.Length < rows * vocab || probs.Length < rows * vocab)
            throw new ArgumentException($"SoftmaxCrossEntropyRows: expected dlogits and probs of ({rows}, {vocab}), found {dlogits.Length} and {probs.Length}");
        fixed (int* t = targets) fixed (float* p = probs) fixed (float* d = dlogits) fixed (float* r = rowScales)
        {
            var job = t_job ??= new Job();
            job.Set(null, t, p, null, d, vocab, scale, backward: true, rowScales: r);
            Run(pool, job, rows);
        }
    }

    private static void Run(ComputePool? pool, Job job, int rows)
    {
        if (pool is null) job.Execute(0, rows);
        else pool.Run(job, rows);
        job.Set(null, null, null, null, null, 0, 0f, false);
    }

    [ThreadStatic] private static Job? t_job;

    private sealed class Job : IRangeJob
    {
        private float* _logits, _probs, _dlogits;
        private int* _targets;
        private double* _loss;
        private int _vocab;
        private float _scale;
        private float* _rowScales;
        private bool _backward;

        public void Set(float* logits, int* targets, float* probs, double* loss, float* dlogits, int vocab, float scale, bool backward,
            float* rowScales = null)
        {
            _logits = logits; _targets = targets; _probs = probs; _loss = loss; _dlogits = dlogits;
            _vocab = vocab; _scale = scale; _backward = backward; _rowScales = rowScales;
        }

        public void Execute(int start, int end)
        {
            int vocab = _vocab;
            for (int t = start; t < end; t++)
            {
                int target = _targets[t];
                var p = new Span<float>(_probs + (long)t * vocab, vocab);
                if (_backward)
                {
                    var d = new Span<float>(_dlogits + (long)t * vocab, vocab);
                    if (target < 0) { d.Clear(); continue; }
                    float scale = _rowScales != null ? _rowScales[t] : _scale;
                    TensorPrimitives.Multiply(p, scale, d);
                    d[target] -= scale;
                    continue;
                }
                if (target < 0) continue;
                var row = new ReadOnlySpan<float>(_logits + (long)t * vocab, vocab);
                float max = TensorPrimitives.Max(row);
                TensorPrimitives.Subtract(row, max, p);
                TensorPrimitives.Exp(p, p);
                // Vector sums of 1024-value blocks, added in double in block order: fast and still deterministic.
                double sum = 0;
                for (int i = 0; i < vocab; i += 1024) sum += TensorPrimitives.Sum(p.Slice(i, Math.Min(1024, vocab - i)));
                TensorPrimitives.Multiply(p, (float)(1.0 / sum), p);
                _loss[t] = Math.Log(sum) + max - row[target];
            }
        }
    }
}
