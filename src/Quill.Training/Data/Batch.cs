// A padded batch of training examples as flat row-major arrays.
namespace Quill.Training.Data;

/// <summary>
/// <see cref="Inputs"/> and <see cref="Targets"/> are (B, T) row-major, T the longest example in the batch;
/// <see cref="Lengths"/>[b] real positions of row b precede the padding (pad id inputs, ignore-index targets).
/// </summary>
public sealed record Batch(int BatchSize, int SequenceLength, int[] Inputs, int[] Targets, int[] Lengths)
{
    public ReadOnlySpan<int> InputRow(int b) => Inputs.AsSpan(b * SequenceLength, SequenceLength);

    public ReadOnlySpan<int> TargetRow(int b) => Targets.AsSpan(b * SequenceLength, SequenceLength);

    /// <summary>Positions that are padding, B·T minus the real tokens.</summary>
    public int PaddingCount => BatchSize * SequenceLength - Lengths.Sum();
}
