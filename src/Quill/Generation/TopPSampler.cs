// Top-p (nucleus): keep the smallest most-likely set whose probability reaches p.
namespace Quill.Generation;

/// <summary>
/// Keeps the smallest set of most likely candidates whose probabilities (softmax over the current candidates) add up
/// to at least <see cref="P"/>, the token that crosses P included; so p = 0 keeps one token and p ≥ 1 keeps all.
/// Like llama.cpp it first sorts only the best 256 and sorts everything only when those do not reach P.
/// </summary>
public sealed class TopPSampler(float p) : ITokenSampler
{
    private const int FirstSortSize = 256;

    /// <summary>The cumulative probability to reach; 1 or more is off.</summary>
    public float P { get; } = p;

    /// <inheritdoc/>
    public void Apply(TokenCandidates candidates, ReadOnlySpan<int> history)
    {
        if (P >= 1.0f || candidates.Count == 0) return;
        candidates.SortDescending(Math.Min(FirstSortSize, candidates.Count));
        candidates.Softmax();

        float cumulative = 0;
        int keep = candidates.Count;
        for (int i = 0; i < candidates.Count; i++)
        {
            cumulative += candidates.Probs[i];
            if (cumulative >= P)
            {
                keep = i + 1;
                break;
            }
            if (i == candidates.SortedCount - 1 && candidates.SortedCount < candidates.Count)
            {
                // The first sort did not reach P: order everything. The sorted prefix stays where it was.
                candidates.SortDescending(candidates.Count);
                candidates.Softmax();
            }
        }
        candidates.Truncate(keep);
    }
}
