// Counting micro-batches and averaging their summed gradients before a step.
namespace Quill.Training.Optimization;

/// <summary>
/// Convention: each micro-batch's loss is the mean over its own examples, and Backward adds its gradient to the
/// parameters' Grad. After K equal micro-batches the gradients hold the sum of K means; <see cref="EndMicroBatch"/>
/// then scales them by 1/K, which equals the gradient of the mean loss over one batch of all K·n examples.
/// Use: ZeroGrad; for each micro-batch { forward, backward; if (EndMicroBatch()) { clip; step; ZeroGrad } }.
/// </summary>
public sealed class GradientAccumulation
{
    private readonly ParameterSet _parameters;

    public GradientAccumulation(ParameterSet parameters, int microBatches)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfLessThan(microBatches, 1);
        _parameters = parameters;
        MicroBatches = microBatches;
    }

    /// <summary>K, the micro-batches per optimizer step.</summary>
    public int MicroBatches { get; }

    /// <summary>Micro-batches accumulated since the last completed step.</summary>
    public int Pending { get; private set; }

    /// <summary>Call after each micro-batch's backward. True when K are in and the gradients were scaled by 1/K.</summary>
    public bool EndMicroBatch()
    {
        Pending++;
        if (Pending < MicroBatches) return false;
        if (MicroBatches > 1) _parameters.ScaleGrads(1f / MicroBatches);
        Pending = 0;
        return true;
    }
}
