// One progress report of a running training job, for a progress bar.
namespace Quill.Training.Runs;

/// <param name="Step"></param>
/// <param name="TotalSteps"></param>
/// <param name="Loss"></param>
/// <param name="ValidationLoss">Set on the steps that evaluated, else null.</param>
/// <param name="LearningRate"></param>
/// <param name="TokensPerSecond">Over the last training steps (a moving window; evaluation and checkpoints excluded).</param>
/// <param name="Elapsed"></param>
/// <param name="Remaining"></param>
/// <param name="Extra">The further numbers of the metrics line the report belongs to (e.g. kd_loss, ce_loss), or null.</param>
public sealed record TrainingProgress(long Step, long TotalSteps, float Loss, float? ValidationLoss, float LearningRate,
    double TokensPerSecond, TimeSpan Elapsed, TimeSpan? Remaining, IReadOnlyDictionary<string, double>? Extra = null);
