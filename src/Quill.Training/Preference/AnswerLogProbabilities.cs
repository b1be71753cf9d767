// Per-row sums of answer-token log-probabilities from logits, and their backward scaled per row.
using System.Buffers;
using Quill.Tensors.Threading;
using Quill.Training.Data;
using Quill.Training.Kernels;

namespace Quill.Training.Preference;

/// <summary>
/// logits (B·T, V), targets (B·T) → sums[b] = Σ_t log softmax(logits[b·T + t])[targets[b·T + t]] over the positions
/// whose target is not <see cref="TrainingExample.IgnoreIndex"/>, computed as minus the cross-entropy rows of
/// <see cref="SoftmaxCrossEntropyRows"/> (maximum subtracted, exponentials summed in blocks in double). With or without a
/// softmax output the arithmetic is the same, so equal logits give bit-equal sums.
/// Backward: d sums[b] / d logits[b·T + t] = onehot(target) − softmax, so an upstream coefficient c[b] gives
/// dlogits = c[b]·(onehot − softmax) on counted positions and zero elsewhere.
/// </summary>
public static class AnswerLogProbabilities
{
    /// <summary>
    /// Writes <paramref name="sums"/> (B). When <paramref name="softmax"/> is not empty (B·T·V) it receives the softmax
    /// of each counted position and zeros elsewhere, ready for <see cref="Backward"/>. Rows run on
    /// <see cref="SoftmaxCrossEntropyRows"/>, over <paramref name="pool"/> when given.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int vocab, Span<double> sums, Span<float> softmax,
        ComputePool? pool = null)
    {
        int batch = sums.Length;
        int positions = targets.Length;
        if (batch == 0 || positions % batch != 0 || logits.Length != positions * vocab || (!softmax.IsEmpty && softmax.Length != logits.Length))
            ThrowShape(batch, positions, vocab, logits.Length, softmax.Length);
        for (int t = 0; t < positions; t++)
            if (targets[t] != TrainingExample.IgnoreIndex && (uint)targets[t] >= (uint)vocab) ThrowTarget(targets[t], vocab, t);
        int sequence = positions / batch;
        float[]? rented = softmax.IsEmpty ? ArrayPool<float>.Shared.Rent(logits.Length) : null;
        Span<float> probs = rented is null ? softmax : rented.AsSpan(0, logits.Length);
        double[] loss = ArrayPool<double>.Shared.Rent(positions);
        SoftmaxCrossEntropyRows.Forward(logits, targets, probs, loss, vocab, pool);
        for (int b = 0; b < batch; b++)
        {
            double sum = 0;
            for (int t = b * sequence; t < (b + 1) * sequence; t++)
            {
                if (targets[t] == TrainingExample.IgnoreIndex) probs.Slice(t * vocab, vocab).Clear();
                else sum -= loss[t];
            }
            sums[b] = sum;
        }
        ArrayPool<double>.Shared.Return(loss);
        if (rented is not null) ArrayPool<float>.Shared.Return(rented);
    }

    /// <summary>
    /// Turns the softmax written by <see cref="Forward"/> into dlogits in place: each counted position of row b becomes
    /// coefficients[b]·(onehot(target) − softmax); ignored positions stay zero.
    /// </summary>
    public static void Backward(Span<float> softmaxToDLogits, ReadOnlySpan<int> targets, int vocab, ReadOnlySpan<double> coefficients,
        ComputePool? pool = null)
    {
        int batch = coefficients.Length, positions = targets.Length;
        if (batch == 0 || positions % batch != 0 || softmaxToDLogits.Length != positions * vocab)
            ThrowShape(batch, positions, vocab, softmaxToDLogits.Length, softmaxToDLogits.Length);
        int sequence = positions / batch;
        // c·(onehot − softmax) is the cross-entropy gradient (softmax − onehot) scaled by −c.
        float[] scales = ArrayPool<float>.Shared.Rent(positions);
        for (int t = 0; t < positions; t++) scales[t] = -(float)coefficients[t / sequence];
        SoftmaxCrossEntropyRows.Backward(softmaxToDLogits, targets, softmaxToDLogits, scales.AsSpan(0, positions), vocab, pool);
        ArrayPool<float>.Shared.Return(scales);
    }

    private static void ThrowShape(int batch, int positions, int vocab, int logits, int softmax) =>
        throw new ArgumentException($"answer log-probabilities: expected {batch} rows dividing {positions} targets and logits (and softmax) of " +
            $"{positions}×{vocab}, found {logits} logits and {softmax} softmax values");

    private static void ThrowTarget(int target, int vocab, int position) =>
        throw new ArgumentException($"answer log-probabilities: expected a target below {vocab} or {TrainingExample.IgnoreIndex}, found {target}, at " +
            $"position {position}");
}
