// Knowledge distillation's loss over logits: a teacher's softened distribution mixed with next-token cross-entropy.
using System.Numerics.Tensors;
using Quill.Tensors.Threading;
using Quill.Training.Kernels;
using Quill.Training.Layers;

namespace Quill.Training.Distillation;

/// <summary>
/// student logits z_s, teacher logits z_t (rows, V) and targets (rows) → over the rows whose target is not
/// <see cref="CrossEntropy.IgnoreIndex"/>: L = alpha·T²·mean KL(softmax(z_t/T) ‖ softmax(z_s/T)) + (1 − alpha)·mean CE(z_s, target)
/// (Hinton et al. 2015; T² keeps the soft term's gradient on the scale of the hard one's as T grows).
/// Backward: dL/dz_s = (1 − alpha)·(softmax(z_s) − onehot)/n + alpha·T·(softmax(z_s/T) − softmax(z_t/T))/n.
/// The cross-entropy half is <see cref="CrossEntropy"/>'s arithmetic, so alpha = 0 gives its loss and gradient bit for bit;
/// alpha = 0 adds nothing of the teacher to the gradient, alpha = 1 nothing of the targets.
/// </summary>
public sealed class DistillationLoss
{
    public const float DefaultTemperature = 2f, DefaultAlpha = 0.5f;

    private float[] _probs = [], _diff = [];
    private double[] _ce = [], _kl = [];
    private int[] _targets = [];
    private int _rows, _counted;

    public DistillationLoss(int vocabSize, float temperature = DefaultTemperature, float alpha = DefaultAlpha)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, 1);
        if (!(temperature > 0) || float.IsInfinity(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "the temperature must be a positive finite number");
        if (!(alpha is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be in [0, 1]");
        VocabSize = vocabSize;
        Temperature = temperature;
        Alpha = alpha;
    }

    public int VocabSize { get; }

    /// <summary>T, which softens both distributions of the KD term.</summary>
    public float Temperature { get; }

    /// <summary>The KD term's weight; the cross-entropy's is 1 − alpha.</summary>
    public float Alpha { get; }

    /// <summary>Threads over rows; null runs on the calling thread.</summary>
    public ComputePool? Pool { get; set; }

    /// <summary>The loss and its two terms; keeps what <see cref="Backward"/> needs.</summary>
    /// <param name="student">(rows, V).</param>
    /// <param name="teacher">(rows, V), only read.</param>
    /// <param name="targets">(rows): next tokens, or <see cref="CrossEntropy.IgnoreIndex"/> for positions that count for neither term.</param>
    public DistillationTerms Forward(ReadOnlySpan<float> student, ReadOnlySpan<float> teacher, ReadOnlySpan<int> targets)
    {
        int rows = targets.Length, vocab = VocabSize;
        LayerShape.Require(student.Length == rows * vocab, nameof(DistillationLoss), $"student logits of ({rows}, {vocab})", student.Length);
        LayerShape.Require(teacher.Length == rows * vocab, nameof(DistillationLoss), $"teacher logits of ({rows}, {vocab})", teacher.Length);
        LayerShape.Ensure(ref _probs, student.Length);
        LayerShape.Ensure(ref _diff, student.Length);
        if (_targets.Length < rows) _targets = new int[rows];
        if (_ce.Length < rows) (_ce, _kl) = (new double[rows], new double[rows]);
        targets.CopyTo(_targets);
        _rows = rows;
        int counted = 0;
        for (int t = 0; t < rows; t++)
        {
            int target = targets[t];
            if (target == CrossEntropy.IgnoreIndex) continue;
            LayerShape.Require((uint)target < (uint)vocab, nameof(DistillationLoss), $"a target below {vocab} or {CrossEntropy.IgnoreIndex} at row {t}",
                target);
            counted++;
        }
        _counted = counted;
        if (counted == 0) return new DistillationTerms(0f, 0, 0, 0);
        var kept = _targets.AsSpan(0, rows);
        SoftmaxCrossEntropyRows.Forward(student, kept, _probs, _ce, vocab, Pool);
        TemperedKlRows.Forward(student, teacher, kept, Temperature, _diff, _kl, vocab, Pool);
        double ce = 0, kl = 0;
        for (int t = 0; t < rows; t++)
        {
            if (kept[t] == CrossEntropy.IgnoreIndex) continue;
            ce += _ce[t];
            kl += _kl[t];
        }
        ce /= counted;
        double kd = (double)Temperature * Temperature * kl / counted;
        // The ends are written out so that alpha 0 (or 1) is exactly the one term, even were the other not finite.
        double loss = Alpha == 0 ? ce : Alpha == 1 ? kd : Alpha * kd + (1 - (double)Alpha) * ce;
        return new DistillationTerms((float)loss, kd, ce, counted);
    }

    /// <summary>dlogits (rows, V) of the student for the last <see cref="Forward"/>, for an upstream gradient <paramref name="dLoss"/>.</summary>
    public void Backward(Span<float> dlogits, float dLoss = 1f)
    {
        int length = _rows * VocabSize;
        LayerShape.Require(dlogits.Length >= length, nameof(DistillationLoss), $"dlogits of ({_rows}, {VocabSize})", dlogits.Length);
        var d = dlogits[..length];
        if (_counted == 0 || Alpha == 1) d.Clear();
        else SoftmaxCrossEntropyRows.Backward(_probs, _targets.AsSpan(0, _rows), d, (1f - Alpha) * dLoss / _counted, VocabSize, Pool);
        if (Alpha == 0 || _counted == 0) return;
        // Rows left out have zero diff rows, so the one multiply-add over everything leaves them zero.
        TensorPrimitives.MultiplyAdd(_diff.AsSpan(0, length), Alpha * Temperature * dLoss / _counted, d, d);
    }
}
