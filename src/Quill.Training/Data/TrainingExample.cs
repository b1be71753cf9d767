// One training sequence: input ids and the shifted target ids (-100 where no loss is taken).
namespace Quill.Training.Data;

/// <summary>
/// <see cref="Targets"/>[t] is the token that should follow <see cref="Inputs"/>[0..t], or <see cref="IgnoreIndex"/>
/// where the loss skips that position. Both arrays have the same length.
/// </summary>
public sealed record TrainingExample(int[] Inputs, int[] Targets)
{
    /// <summary>The target of a position that takes no loss (Hugging Face's ignore index).</summary>
    public const int IgnoreIndex = -100;

    public int Length => Inputs.Length;
}
