// Collates examples into a batch padded to the longest example in it.
namespace Quill.Training.Data;

/// <summary>Pads inputs with <see cref="PadId"/> and targets with <see cref="TrainingExample.IgnoreIndex"/>.</summary>
public sealed class DynamicPaddingBatcher(int padId)
{
    public int PadId { get; } = padId;

    /// <summary>The batch of <paramref name="indices"/> from <paramref name="dataset"/>, in that order.</summary>
    public Batch Collate(ITrainingDataset dataset, ReadOnlySpan<int> indices)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var examples = new TrainingExample[indices.Length];
        for (int i = 0; i < examples.Length; i++) examples[i] = dataset[indices[i]];
        return Collate(examples);
    }

    public Batch Collate(IReadOnlyList<TrainingExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentOutOfRangeException.ThrowIfZero(examples.Count);
        int b = examples.Count, t = examples.Max(e => e.Length);
        var inputs = new int[b * t];
        var targets = new int[b * t];
        var lengths = new int[b];
        inputs.AsSpan().Fill(PadId);
        targets.AsSpan().Fill(TrainingExample.IgnoreIndex);
        for (int row = 0; row < b; row++)
        {
            TrainingExample e = examples[row];
            e.Inputs.CopyTo(inputs.AsSpan(row * t));
            e.Targets.CopyTo(targets.AsSpan(row * t));
            lengths[row] = e.Length;
        }
        return new Batch(b, t, inputs, targets, lengths);
    }
}
