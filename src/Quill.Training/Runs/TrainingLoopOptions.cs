// Hyperparameters of one training run's optimisation: batches, steps, rates, clipping and seed.
namespace Quill.Training.Runs;

public sealed record TrainingLoopOptions
{
    /// <summary>Optimizer steps in the whole run (the schedule decays over them).</summary>
    public required long Steps { get; init; }

    /// <summary>Examples per micro-batch.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Micro-batches accumulated into one optimizer step.</summary>
    public int GradientAccumulation { get; init; } = 1;

    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>The floor the cosine decay ends at.</summary>
    public float MinimumLearningRate { get; init; } = 1e-4f;

    /// <summary>Linear warm-up length; a run shorter than this warms up over its whole length.</summary>
    public long WarmupSteps { get; init; } = 10;
    public float WeightDecay { get; init; } = 0.1f;
    public float Beta1 { get; init; } = 0.9f;
    public float Beta2 { get; init; } = 0.95f;

    /// <summary>Global gradient-norm clip; 0 or less turns clipping off.</summary>
    public double ClipNorm { get; init; } = 1.0;

    /// <summary>Seeds the data order (model initialisation is seeded separately).</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Group examples of similar length into batches (then shuffle the batches) instead of a plain shuffle.</summary>
    public bool UniformLengthBatches { get; init; }

    /// <summary>Validation micro-batches per evaluation (0 evaluates on the whole split).</summary>
    public int EvaluationBatches { get; init; }

    public void Validate()
    {
        if (Steps < 1) throw new ArgumentException($"steps must be at least 1, found {Steps}");
        if (BatchSize < 1) throw new ArgumentException($"the batch size must be at least 1, found {BatchSize}");
        if (GradientAccumulation < 1) throw new ArgumentException($"gradient accumulation must be at least 1, found {GradientAccumulation}");
        if (!(LearningRate > 0) || !float.IsFinite(LearningRate)) throw new ArgumentException($"the learning rate must be positive, found {LearningRate}");
        if (WarmupSteps < 0) throw new ArgumentException($"warm-up steps must not be negative, found {WarmupSteps}");
    }
}
