// The greedy terminal stage: pick the highest logit; draws nothing at random.
namespace Quill.Generation;

/// <summary>Selects the candidate with the highest logit; ties go to the lowest token id.</summary>
public sealed class GreedySampler : ITokenSampler
{
    /// <inheritdoc/>
    public void Apply(TokenCandidates candidates, ReadOnlySpan<int> history) => candidates.Selected = candidates.ArgMax();
}
