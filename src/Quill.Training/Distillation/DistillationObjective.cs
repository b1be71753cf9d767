// Knowledge distillation as a training objective: a trainable student learns a frozen teacher's next-token distributions.
using Quill.Training.Data;
using Quill.Training.Layers;
using Quill.Training.Model;
using Quill.Training.Optimization;
using Quill.Training.Runs;

namespace Quill.Training.Distillation;

/// <summary>
/// Each micro-batch is collated with dynamic padding as for language modelling; the teacher runs forward over the same
/// batch (nothing writes its weights or gradients) and the student's loss is <see cref="DistillationLoss"/> between their
/// logits, mixed with cross-entropy on the data by alpha. Evaluation is the student's plain cross-entropy on the held-out
/// examples, so exp(validation loss) is its perplexity, comparable with a run of <c>quill train</c>.
/// </summary>
public sealed class DistillationObjective : ITrainingObjective
{
    private readonly DynamicPaddingBatcher _batcher;
    private readonly DistillationLoss _loss;
    private float[] _dLogits = [];
    private double _kdSum, _ceSum;
    private int _termCount;

    /// <param name="student">The model being trained (every weight).</param>
    /// <param name="teacher">A separate model with the student's vocabulary, context at least the examples' length; only read.</param>
    /// <param name="train"></param>
    /// <param name="validation"></param>
    /// <param name="temperature">T of the KD term.</param>
    /// <param name="alpha">Weight of the KD term; 1 − alpha weighs the cross-entropy.</param>
    /// <param name="padId">Input id of padding; any valid id, since padding follows the real tokens and takes no loss.</param>
    public DistillationObjective(LlamaTrainingModel student, LlamaTrainingModel teacher, ITrainingDataset train, ITrainingDataset? validation = null,
        float temperature = DistillationLoss.DefaultTemperature, float alpha = DistillationLoss.DefaultAlpha, int padId = 0)
    {
        ArgumentNullException.ThrowIfNull(student);
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(train);
        if (ReferenceEquals(student, teacher)) throw new ArgumentException("distillation needs a separate teacher; the student was passed as its own teacher");
        if (student.Config.VocabSize != teacher.Config.VocabSize)
            throw new ArgumentException($"distillation: expected the teacher's vocabulary of {teacher.Config.VocabSize} tokens for the student, found " +
                $"{student.Config.VocabSize}");
        ArgumentOutOfRangeException.ThrowIfNegative(padId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(padId, student.Config.VocabSize);
        Student = student;
        Teacher = teacher;
        TrainingData = train;
        ValidationData = validation;
        _batcher = new DynamicPaddingBatcher(padId);
        _loss = new DistillationLoss(student.Config.VocabSize, temperature, alpha) { Pool = student.Pool };
    }

    public LlamaTrainingModel Student { get; }

    public LlamaTrainingModel Teacher { get; }

    public ITrainingDataset TrainingData { get; }

    public ITrainingDataset? ValidationData { get; }

    public float Temperature => _loss.Temperature;

    public float Alpha => _loss.Alpha;

    public ParameterSet Parameters => Student.Parameters;

    public int TrainingExampleCount => TrainingData.Count;

    public int ValidationExampleCount => ValidationData?.Count ?? 0;

    /// <summary>What the last <see cref="Train"/> measured.</summary>
    public DistillationTerms LastTerms { get; private set; }

    public int TrainingLengthOf(int index) => TrainingData.LengthOf(index);

    public MicroBatchResult Train(ReadOnlySpan<int> indices)
    {
        Batch batch = _batcher.Collate(TrainingData, indices);
        ReadOnlySpan<float> teacher = Teacher.ForwardLogits(batch);
        ReadOnlySpan<float> student = Student.ForwardLogits(batch);
        var terms = _loss.Forward(student, teacher, batch.Targets);
        var dLogits = LayerShape.Slice(ref _dLogits, student.Length);
        _loss.Backward(dLogits);
        Student.BackwardLogits(dLogits);
        LastTerms = terms;
        _kdSum += terms.KdLoss;
        _ceSum += terms.CeLoss;
        _termCount++;
        return new MicroBatchResult(terms.Loss, batch.Lengths.Sum());
    }

    public MicroBatchResult Evaluate(ReadOnlySpan<int> indices)
    {
        if (ValidationData is null) throw new InvalidOperationException("there is no validation split");
        var batch = _batcher.Collate(ValidationData, indices);
        return new MicroBatchResult(Student.Forward(batch), batch.Lengths.Sum());
    }

    /// <summary>
    /// The mean KD and cross-entropy terms over the training micro-batches since the last call (null when none ran), then
    /// starts a new window: a metrics line's terms cover the same steps as its loss.
    /// </summary>
    public (double KdLoss, double CeLoss)? TakeTermMeans()
    {
        if (_termCount == 0) return null;
        var means = (_kdSum / _termCount, _ceSum / _termCount);
        (_kdSum, _ceSum, _termCount) = (0, 0, 0);
        return means;
    }
}
