// Per-row sums of answer-token log-probabilities from logits, and their backward scaled per row; not a loss by itself.
using System.Buffers;
using System.Numerics.Tensors;
using Quill.Training.Data;

namespace Quill.Training.Preference;

/// <summary>
/// logits (B·T, V), targets (B·T) → sums[b] = Σ_t log softmax(logits[b·T + t])[targets[b·T + t]] over the positions
/// whose target is not <see cref="TrainingExample.IgnoreIndex"/>. The log-softmax subtracts each row's maximum; the
/// exponentials are summed in float (TensorPrimitives), the logarithm and the sums taken in double. With or without a
/// softmax output the arithmetic is the same, so equal logits give bit-equal sums.
/// Backward: d sums[b] / d logits[b·T + t] = onehot(target) − softmax, so an upstream coefficient c[b] gives
/// dlogits = c[b]·(onehot − softmax) on counted positions and zero elsewhere.
/// </summary>
public static class AnswerLogProbabilities
{
    /// <summary>
    /// Writes <paramref name="sums"/> (B). When <paramref name="softmax"/> is not empty (B·T·V) it receives the softmax
    /// of each counted position and zeros elsewhere, ready for <see cref="Backward"/>.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int vocab, Span<double> sums, Span<float> softmax)
    {
        int batch = sums.Length;
        int positions = targets.Length;
        if (batch == 0 || positions % batch != 0 || logits.Length != positions * vocab || (!softmax.IsEmpty && softmax.Length != logits.Length))
            ThrowShape(batch, positions, vocab, logits.Length, softmax.Length);
        int sequence = positions / batch;
        float[]? scratch = softmax.IsEmpty ? ArrayPool<float>.Shared.Rent(vocab) : null;
        for (int b = 0; b < batch; b++)
        {
            double sum = 0;
            for (int t = b * sequence; t < (b + 1) * sequence; t++)
            {
                int target = targets[t];
                Span<float> p = scratch is null ? softmax.Slice(t * vocab, vocab) : scratch.AsSpan(0, vocab);
                if (target == TrainingExample.IgnoreIndex)
                {
                    if (scratch is null) p.Clear();
                    continue;
                }
                if ((uint)target >= (uint)vocab) ThrowTarget(target, vocab, t);
                ReadOnlySpan<float> row = logits.Slice(t * vocab, vocab);
                float max = TensorPrimitives.Max(row);
                TensorPrimitives.Subtract(row, max, p);
                TensorPrimitives.Exp(p, p);
                float total = TensorPrimitives.Sum(p);
                if (scratch is null) TensorPrimitives.Multiply(p, 1f / total, p);
                sum += (double)row[target] - max - Math.Log(total);
            }
            sums[b] = sum;
        }
        if (scratch is not null) ArrayPool<float>.Shared.Return(scratch);
    }

    /// <summary>
    /// Turns the softmax written by <see cref="Forward"/> into dlogits in place: each counted position of row b becomes
    /// coefficients[b]·(onehot(target) − softmax); ignored positions stay zero.
    /// </summary>
    public static void Backward(Span<float> softmaxToDLogits, ReadOnlySpan<int> targets, int vocab, ReadOnlySpan<double> coefficients)
    {
        int batch = coefficients.Length, positions = targets.Length;
        if (batch == 0 || positions % batch != 0 || softmaxToDLogits.Length != positions * vocab)
            ThrowShape(batch, positions, vocab, softmaxToDLogits.Length, softmaxToDLogits.Length);
        int sequence = positions / batch;
        for (int t = 0; t < positions; t++)
        {
            int target = targets[t];
            if (target == TrainingExample.IgnoreIndex) continue;
            float c = (float)coefficients[t / sequence];
            Span<float> d = softmaxToDLogits.Slice(t * vocab, vocab);
            TensorPrimitives.Multiply(d, -c, d);
            d[target] += c;
        }
    }

    private static void ThrowShape(int batch, int positions, int vocab, int logits, int softmax) =>
        throw new ArgumentException($"answer log-probabilities: expected {batch} rows dividing {positions} targets and logits (and softmax) of {positions}×{vocab}, found {logits} logits and {softmax} softmax values");

    private static void ThrowTarget(int target, int vocab, int position) =>
        throw new ArgumentException($"answer log-probabilities: expected a target below {vocab} or {TrainingExample.IgnoreIndex}, found {target}, at position {position}");
}
