// Thrown when a step's loss or gradient is NaN or infinite, before the weights are touched.
namespace Quill.Training.Runs;

public sealed class NonFiniteLossException(long step, string what, double value)
    : Exception($"the {what} became {value} at step {step}; the weights were not updated")
{
    /// <summary>The step that failed (1-based); the weights are those after step − 1.</summary>
    public long Step { get; } = step;
}
