// Temperature: divide the logits; the draw is DistributionSampler's.
namespace Quill.Generation;

/// <summary>
/// Divides every candidate logit by <see cref="Temperature"/> (below 1 sharpens, above 1 flattens). A temperature of
/// 0 or less keeps only the best candidate (ties: lower id), as llama.cpp's temp sampler does.
/// </summary>
public sealed class TemperatureSampler(float temperature) : ITokenSampler
{
    /// <summary>The divisor.</summary>
    public float Temperature { get; } = temperature;

    /// <inheritdoc/>
    public void Apply(TokenCandidates candidates, ReadOnlySpan<int> history)
    {
        if (candidates.Count == 0) return;
        if (Temperature <= 0)
        {
            candidates.SortDescending(1);
            candidates.Truncate(1);
            return;
        }
        if (Temperature != 1.0f) candidates.DivideLogits(Temperature);
    }
}
