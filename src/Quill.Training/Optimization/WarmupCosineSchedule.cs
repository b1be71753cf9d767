// Linear warm-up to a peak, then cosine decay to a floor (nanoGPT's get_lr); not restarts, not per-group rates.
namespace Quill.Training.Optimization;

/// <summary>
/// step &lt; W: peak·step/W (0 at step 0, peak at W). W ≤ step ≤ total: min + ½(peak − min)(1 + cos(π·(step − W)/(total − W))).
/// step ≥ total: min. Computed in double, returned as float.
/// </summary>
public sealed class WarmupCosineSchedule : LearningRateSchedule
{
    public WarmupCosineSchedule(float peak, long warmupSteps, long totalSteps, float minimum = 0f)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        if (totalSteps < warmupSteps)
            throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"expected at least the {warmupSteps} warm-up steps");
        Peak = peak;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
        Minimum = minimum;
    }

    public float Peak { get; }
    public long WarmupSteps { get; }
    public long TotalSteps { get; }
    public float Minimum { get; }

    public override float At(long step)
    {
        if (step < WarmupSteps) return (float)((double)Peak * Math.Max(step, 0) / WarmupSteps);
        if (step >= TotalSteps) return Minimum;
        double progress = (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps);
        return (float)(Minimum + 0.5 * ((double)Peak - Minimum) * (1 + Math.Cos(Math.PI * progress)));
    }
}
