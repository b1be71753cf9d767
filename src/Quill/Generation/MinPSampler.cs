// Min-p: keep tokens at least min_p times as likely as the best one.
namespace Quill.Generation;

/// <summary>
/// Keeps the candidates whose probability is at least <see cref="P"/> × the top probability, i.e. whose logit is at
/// least max + ln P; the best token always survives. Candidate order is kept (no sort needed). P ≤ 0 is off.
/// </summary>
public sealed class MinPSampler(float p) : ITokenSampler
{
    /// <summary>The fraction of the top probability a token needs; 0 or less is off.</summary>
    public float P { get; } = p;

    /// <inheritdoc/>
    public void Apply(TokenCandidates candidates, ReadOnlySpan<int> history)
    {
        if (P <= 0 || candidates.Count == 0) return;
        float max = candidates.MaxLogit();
        float threshold = Math.Min(max + MathF.Log(P), max); // P > 1 would keep nothing: keep the best instead
        candidates.KeepAtLeast(threshold);
    }
}
