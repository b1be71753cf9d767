// One preference pair as two training sequences sharing a prompt (answer-only targets).
using Quill.Training.Data;

namespace Quill.Training.Preference;

/// <summary>
/// <see cref="Chosen"/> is prompt + preferred answer, <see cref="Rejected"/> prompt + dispreferred answer; in both the
/// targets are <see cref="TrainingExample.IgnoreIndex"/> except on the answer's tokens (and its end token).
/// <see cref="Line"/> is the 1-based JSONL line it came from.
/// </summary>
public sealed record PreferencePair(TrainingExample Chosen, TrainingExample Rejected, int Line)
{
    /// <summary>The longer of the two sequences, in input tokens.</summary>
    public int Length => Math.Max(Chosen.Length, Rejected.Length);
}
