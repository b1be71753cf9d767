// How a training run ended and what it left in its folder.
namespace Quill.Training.Runs;

/// <param name="Completed">True when every step ran and model.gguf was written.</param>
/// <param name="Paused">True when the run stopped where it was asked to (or was cancelled) after writing a checkpoint.</param>
/// <param name="Step">The last completed step.</param>
/// <param name="Failure">Why the run stopped early (a NaN loss, a cancellation), or null.</param>
/// <param name="LastCheckpoint">The newest checkpoint on disk (the last good one after a failure), or null.</param>
/// <param name="ModelPath"></param>
/// <param name="AdapterPath"></param>
/// <param name="ValidationLoss"></param>
/// <param name="LossCurvePath"></param>
/// <param name="MetricsPath"></param>
public sealed record TrainingRunResult(bool Completed, bool Paused, long Step, string? Failure, string? LastCheckpoint,
    string? ModelPath, string? AdapterPath, float? ValidationLoss, string LossCurvePath, string MetricsPath);
