// Softmax cross-entropy over logits, mean over targets that are not ignored (-100, as Hugging Face); no label smoothing.
using System.Numerics.Tensors;

namespace Quill.Training.Layers;

/// <summary>
/// logits (rows, V), targets (rows) → L = mean over rows with target ≠ <see cref="IgnoreIndex"/> of −log softmax(logits)[target].
/// Backward: dlogits = (softmax − onehot)·dL / count for counted rows, zero for ignored rows. L = 0 when nothing counts.
/// </summary>
public sealed class CrossEntropy
{
    public const int IgnoreIndex = -100;

    private float[] _probs = [];
    private int[] _targets = [];
    private int _rows, _counted;

    public CrossEntropy(int vocabSize) => VocabSize = vocabSize;

    public int VocabSize { get; }

    public float Forward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets)
    {
        int rows = targets.Length, vocab = VocabSize;
        LayerShape.Require(logits.Length == rows * vocab, nameof(CrossEntropy), $"logits of ({rows}, {vocab})", logits.Length);
        LayerShape.Ensure(ref _probs, logits.Length);
        if (_targets.Length < rows) _targets = new int[rows];
        targets.CopyTo(_targets);
        _rows = rows;
        double total = 0;
        int counted = 0;
        for (int t = 0; t < rows; t++)
        {
            int target = targets[t];
            if (target == IgnoreIndex) continue;
            LayerShape.Require((uint)target < (uint)vocab, nameof(CrossEntropy), $"a target below {vocab} or {IgnoreIndex} at row {t}", target);
            var row = logits.Slice(t * vocab, vocab);
            float max = TensorPrimitives.Max(row);
            var p = _probs.AsSpan(t * vocab, vocab);
            TensorPrimitives.Subtract(row, max, p);
            TensorPrimitives.Exp(p, p);
            double sum = 0;
            foreach (float e in p) sum += e;
            TensorPrimitives.Multiply(p, (float)(1.0 / sum), p);
            total += Math.Log(sum) + max - row[target];
            counted++;
        }
        _counted = counted;
        return counted == 0 ? 0f : (float)(total / counted);
    }

    /// <summary>dlogits (rows, V) of the last Forward, for an upstream gradient <paramref name="dLoss"/> of the mean loss.</summary>
    public void Backward(Span<float> dlogits, float dLoss = 1f)
    {
        int vocab = VocabSize;
        dlogits[..(_rows * vocab)].Clear();
        if (_counted == 0) return;
        float scale = dLoss / _counted;
        for (int t = 0; t < _rows; t++)
        {
            int target = _targets[t];
            if (target == IgnoreIndex) continue;
            var d = dlogits.Slice(t * vocab, vocab);
            TensorPrimitives.Multiply(_probs.AsSpan(t * vocab, vocab), scale, d);
            d[target] -= scale;
        }
    }
}
