// Top-k: keep the K highest logits.
namespace Quill.Generation;

/// <summary>
/// Keeps the <see cref="K"/> candidates with the highest logits (ties: lower id), sorted; K ≤ 0 keeps all unsorted,
/// K ≥ Count keeps all sorted (as llama.cpp does).
/// </summary>
public sealed class TopKSampler(int k) : ITokenSampler
{
    /// <summary>How many candidates survive; 0 or less is off.</summary>
    public int K { get; } = k;

    /// <inheritdoc/>
    public void Apply(TokenCandidates candidates, ReadOnlySpan<int> history)
    {
        if (K <= 0) return;
        int k = Math.Min(K, candidates.Count);
        candidates.SortDescending(k);
        candidates.Truncate(k);
    }
}
