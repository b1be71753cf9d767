// Softmax cross-entropy over logits, mean over targets that are not ignored (-100, as Hugging Face); no label smoothing.
using Quill.Tensors.Threading;
using Quill.Training.Kernels;

namespace Quill.Training.Layers;

/// <summary>
/// logits (rows, V), targets (rows) → L = mean over rows with target ≠ <see cref="IgnoreIndex"/> of −log softmax(logits)[target].
/// Backward: dlogits = (softmax − onehot)·dL / count for counted rows, zero for ignored rows. L = 0 when nothing counts.
/// Rows run in parallel on <see cref="Pool"/>; the mean sums the per-row losses in row order, so it is deterministic.
/// </summary>
public sealed class CrossEntropy
{
    public const int IgnoreIndex = -100;

    private float[] _probs = [];
    private double[] _rowLoss = [];
    private int[] _targets = [];
    private int _rows, _counted;

    public CrossEntropy(int vocabSize) => VocabSize = vocabSize;

    public int VocabSize { get; }

    /// <summary>Threads over rows; null runs on the calling thread.</summary>
    public ComputePool? Pool { get; set; }

    public float Forward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets)
    {
        int rows = targets.Length, vocab = VocabSize;
        LayerShape.Require(logits.Length == rows * vocab, nameof(CrossEntropy), $"logits of ({rows}, {vocab})", logits.Length);
        LayerShape.Ensure(ref _probs, logits.Length);
        if (_targets.Length < rows) _targets = new int[rows];
        if (_rowLoss.Length < rows) _rowLoss = new double[rows];
        targets.CopyTo(_targets);
        _rows = rows;
        int counted = 0;
        for (int t = 0; t < rows; t++)
        {
            int target = targets[t];
            if (target == IgnoreIndex) continue;
            LayerShape.Require((uint)target < (uint)vocab, nameof(CrossEntropy), $"a target below {vocab} or {IgnoreIndex} at row {t}", target);
            counted++;
        }
        _counted = counted;
        SoftmaxCrossEntropyRows.Forward(logits, _targets.AsSpan(0, rows), _probs, _rowLoss, vocab, Pool);
        double total = 0;
        for (int t = 0; t < rows; t++) if (_targets[t] != IgnoreIndex) total += _rowLoss[t];
        return counted == 0 ? 0f : (float)(total / counted);
    }

    /// <summary>dlogits (rows, V) of the last Forward, for an upstream gradient <paramref name="dLoss"/> of the mean loss.</summary>
    public void Backward(Span<float> dlogits, float dLoss = 1f)
    {
        int vocab = VocabSize;
        LayerShape.Require(dlogits.Length >= _rows * vocab, nameof(CrossEntropy), $"dlogits of ({_rows}, {vocab})", dlogits.Length);
        if (_counted == 0)
        {
            dlogits[..(_rows * vocab)].Clear();
            return;
        }
        SoftmaxCrossEntropyRows.Backward(_probs, _targets.AsSpan(0, _rows), dlogits, dLoss / _counted, vocab, Pool);
    }
}
