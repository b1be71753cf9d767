// Run-time options of a training model: threads and matmul precision; not hyperparameters of the architecture.
namespace Quill.Training.Model;

public sealed record TrainingModelOptions
{
    /// <summary>Compute threads; 0 uses every core.</summary>
    public int Threads { get; init; }

    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Fp32;
}
