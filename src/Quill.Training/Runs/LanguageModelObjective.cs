// Next-token cross-entropy of a Llama training model over padded batches of training examples.
using Quill.Training.Data;
using Quill.Training.Model;
using Quill.Training.Optimization;

namespace Quill.Training.Runs;

/// <summary>
/// Pre-training (packed text) and supervised fine-tuning (answer-only targets) alike: each micro-batch is collated with
/// dynamic padding and its loss is the mean over target tokens that are not ignored.
/// </summary>
public sealed class LanguageModelObjective(LlamaTrainingModel model, ITrainingDataset training, ITrainingDataset? validation, int padId)
    : ITrainingObjective
{
    private readonly DynamicPaddingBatcher _batcher = new(padId);

    public LlamaTrainingModel Model { get; } = model;
    public ParameterSet Parameters => Model.Parameters;
    public int TrainingExampleCount => training.Count;
    public int ValidationExampleCount => validation?.Count ?? 0;
    public int TrainingLengthOf(int index) => training.LengthOf(index);

    public MicroBatchResult Train(ReadOnlySpan<int> indices)
    {
        var batch = _batcher.Collate(training, indices);
        float loss = Model.Forward(batch);
        Model.Backward();
        return new MicroBatchResult(loss, batch.Lengths.Sum());
    }

    public MicroBatchResult Evaluate(ReadOnlySpan<int> indices)
    {
        if (validation is null) throw new InvalidOperationException("there is no validation split");
        var batch = _batcher.Collate(validation, indices);
        return new MicroBatchResult(Model.Forward(batch), batch.Lengths.Sum());
    }
}
