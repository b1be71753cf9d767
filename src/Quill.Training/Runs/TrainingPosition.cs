// Where a run is: optimizer steps done and the next micro-batch of which epoch; all a resume needs besides weights.
namespace Quill.Training.Runs;

/// <param name="Step">Optimizer steps completed.</param>
/// <param name="Epoch">The epoch the next micro-batch comes from.</param>
/// <param name="BatchInEpoch">The index of the next micro-batch within that epoch.</param>
public readonly record struct TrainingPosition(long Step, int Epoch, int BatchInEpoch);
