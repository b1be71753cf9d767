// What one optimizer step reports: its loss, rate, gradient norm and tokens.
namespace Quill.Training.Runs;

/// <param name="Step">The step number just completed (1-based).</param>
/// <param name="Loss">Mean of the micro-batch losses.</param>
/// <param name="LearningRate"></param>
/// <param name="GradientNorm">Global gradient norm before clipping.</param>
/// <param name="Tokens">Tokens processed in the step, padding excluded.</param>
public readonly record struct StepResult(long Step, float Loss, float LearningRate, double GradientNorm, long Tokens);
