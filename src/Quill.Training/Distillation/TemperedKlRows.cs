// Row-parallel KL divergence of a student's temperature-softened softmax from a teacher's, and its gradient rows; not the mean or the mix with CE.
using System.Numerics.Tensors;
using Quill.Tensors.Threading;

namespace Quill.Training.Distillation;

/// <summary>
/// For every row t whose target is not negative, with p = softmax(teacher[t]/T) and q = softmax(student[t]/T):
/// kl[t] = KL(p ‖ q) = Σ p·(log p − log q), and diff[t] = q − p, which is T·dkl[t]/dstudent[t] (the gradient is (q − p)/T).
/// Rows with a negative target get kl 0 and a zero diff row. The KL is computed as Σ p·(teacher − student)/T − lse(teacher/T)
/// + lse(student/T) (Σ p = 1), exponentials and sums as <see cref="Kernels.SoftmaxCrossEntropyRows"/> does them (maximum
/// subtracted, 1024-value blocks added in double), so it is accurate to about 1e-6 absolute. Each row is one thread's work:
/// results do not depend on the thread count. <see cref="Reference"/> is the same row in double, for tests.
/// </summary>
public static unsafe class TemperedKlRows
{
    private const int Block = 1024;

    /// <param name="student">Student logits (rows, V).</param>
    /// <param name="teacher">Teacher logits (rows, V).</param>
    /// <param name="targets">(rows); a negative target leaves its row out.</param>
    /// <param name="temperature">T &gt; 0.</param>
    /// <param name="diff">Receives q − p (rows, V); zero rows where left out.</param>
    /// <param name="kl">Receives KL(p ‖ q) per row (rows); 0 where left out.</param>
    /// <param name="vocab">V.</param>
    /// <param name="pool">Threads over rows; null runs on the calling thread.</param>
    public static void Forward(ReadOnlySpan<float> student, ReadOnlySpan<float> teacher, ReadOnlySpan<int> targets, float temperature, Span<float> diff,
        Span<double> kl, int vocab, ComputePool? pool)
    {
        int rows = targets.Length;
        if (student.Length < rows * vocab || teacher.Length < rows * vocab || diff.Length < rows * vocab || kl.Length < rows)
            throw new ArgumentException($"TemperedKlRows: expected student, teacher and diff of ({rows}, {vocab}) and {rows} KL values, found " +
                $"{student.Length}, {teacher.Length}, {diff.Length} and {kl.Length}");
        if (!(temperature > 0) || float.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "the temperature must be a positive finite number");
        fixed (float* s = student) fixed (float* z = teacher) fixed (int* t = targets) fixed (float* d = diff) fixed (double* k = kl)
        {
            var job = t_job ??= new Job();
            job.Set(s, z, t, d, k, vocab, temperature);
            if (pool is null) job.Execute(0, rows);
            else pool.Run(job, rows);
            job.Set(null, null, null, null, null, 0, 1f);
        }
    }

    /// <summary>One row in double: returns KL(p ‖ q) and writes q − p into <paramref name="diff"/> (V).</summary>
    public static double Reference(ReadOnlySpan<float> student, ReadOnlySpan<float> teacher, float temperature, Span<double> diff)
    {
        int vocab = student.Length;
        double teacherLse = LogSumExp(teacher, temperature), studentLse = LogSumExp(student, temperature), kl = 0;
        for (int i = 0; i < vocab; i++)
        {
            double logP = teacher[i] / (double)temperature - teacherLse, logQ = student[i] / (double)temperature - studentLse;
            double p = Math.Exp(logP);
            kl += p * (logP - logQ);
            diff[i] = Math.Exp(logQ) - p;
        }
        return kl;
    }

    private static double LogSumExp(ReadOnlySpan<float> logits, float temperature)
    {
        double max = double.NegativeInfinity, sum = 0;
        foreach (float v in logits) max = Math.Max(max, v / (double)temperature);
        foreach (float v in logits) sum += Math.Exp(v / (double)temperature - max);
        return max + Math.Log(sum);
    }

    [ThreadStatic] private static Job? t_job;
    [ThreadStatic] private static float[]? t_teacherProbs, t_logitGap;

    private sealed class Job : IRangeJob
    {
        private float* _student, _teacher, _diff;
        private int* _targets;
        private double* _kl;
        private int _vocab;
        private float _temperature;

        public void Set(float* student, float* teacher, int* targets, float* diff, double* kl, int vocab, float temperature)
        {
            _student = student; _teacher = teacher; _targets = targets; _diff = diff; _kl = kl;
            _vocab = vocab; _temperature = temperature;
        }

        public void Execute(int start, int end)
        {
            int vocab = _vocab;
            if (t_teacherProbs is null || t_teacherProbs.Length < vocab)
            {
                t_teacherProbs = new float[vocab];
                t_logitGap = new float[vocab];
            }
            var p = t_teacherProbs.AsSpan(0, vocab);
            var gap = t_logitGap.AsSpan(0, vocab);
            float inverse = 1f / _temperature;
            for (int t = start; t < end; t++)
            {
                var q = new Span<float>(_diff + (long)t * vocab, vocab);
                if (_targets[t] < 0)
                {
                    q.Clear();
                    _kl[t] = 0;
                    continue;
                }
                var s = new ReadOnlySpan<float>(_student + (long)t * vocab, vocab);
                var z = new ReadOnlySpan<float>(_teacher + (long)t * vocab, vocab);
                double teacherLse = Softmax(z, inverse, p), studentLse = Softmax(s, inverse, q);
                TensorPrimitives.Subtract(z, s, gap);
                double dot = 0;
                for (int i = 0; i < vocab; i += Block)
                {
                    int n = Math.Min(Block, vocab - i);
                    dot += TensorPrimitives.Dot(p.Slice(i, n), gap.Slice(i, n));
                }
                _kl[t] = dot * inverse - teacherLse + studentLse;
                TensorPrimitives.Subtract(q, p, q);
            }
        }

        /// <summary>probs = softmax(logits·inverse); returns log Σ exp(logits·inverse).</summary>
        private static double Softmax(ReadOnlySpan<float> logits, float inverse, Span<float> probs)
        {
            TensorPrimitives.Multiply(logits, inverse, probs);
            float max = TensorPrimitives.Max(probs);
            TensorPrimitives.Subtract(probs, max, probs);
            TensorPrimitives.Exp(probs, probs);
            double sum = 0;
            for (int i = 0; i < probs.Length; i += Block) sum += TensorPrimitives.Sum(probs.Slice(i, Math.Min(Block, probs.Length - i)));
            TensorPrimitives.Multiply(probs, (float)(1.0 / sum), probs);
            return max + Math.Log(sum);
        }
    }
}
