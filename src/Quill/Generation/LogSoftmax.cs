// Log-probabilities of the raw model distribution (what logprobs report); not used to choose tokens.
namespace Quill.Generation;

/// <summary>
/// log softmax(logits)[i] = logits[i] − log Σ exp(logits). Computed over the full vocabulary before penalties,
/// top-k/top-p/min-p and temperature: the model's own distribution, which is what OpenAI's <c>logprobs</c> shows
/// (llama-server, by contrast, reports post-sampling probabilities when asked). NaN logits count as −∞.
/// </summary>
public static class LogSoftmax
{
    /// <summary>log Σ exp(logits) (V), with the max subtracted first and the sum kept in double.</summary>
    public static float LogSumExp(ReadOnlySpan<float> logits)
    {
        float max = float.NegativeInfinity;
        foreach (float l in logits) if (l > max) max = l;
        if (float.IsNegativeInfinity(max) || float.IsPositiveInfinity(max)) return max;
        double sum = 0;
        foreach (float l in logits) if (l > float.NegativeInfinity) sum += Math.Exp(l - max);
        return (float)(max + Math.Log(sum));
    }

    /// <summary>The log-probability of <paramref name="token"/> given <paramref name="logSumExp"/> from <see cref="LogSumExp"/>.</summary>
    public static float Of(ReadOnlySpan<float> logits, int token, float logSumExp)
    {
        float l = logits[token];
        return float.IsNaN(l) ? float.NegativeInfinity : l - logSumExp;
    }

    /// <summary>
    /// Writes the <c>destination.Length</c> most likely tokens into <paramref name="destination"/>, most likely first
    /// (ties: lower id). Needs destination.Length ≤ V. O(V · N) in the worst case, O(V) when logits are unordered.
    /// </summary>
    public static void Top(ReadOnlySpan<float> logits, float logSumExp, Span<ScoredToken> destination)
    {
        int n = destination.Length;
        if (n == 0) return;
        if (n > logits.Length) ThrowTooMany(n, logits.Length);
        int filled = 0;
        for (int id = 0; id < logits.Length; id++)
        {
            float l = logits[id];
            if (float.IsNaN(l)) l = float.NegativeInfinity;
            // destination holds raw logits while filling; a later id only wins on a strictly larger logit.
            if (filled == n && !(l > destination[n - 1].Logprob)) continue;
            int at = filled < n ? filled++ : n - 1;
            while (at > 0 && l > destination[at - 1].Logprob)
            {
                destination[at] = destination[at - 1];
                at--;
            }
            destination[at] = new ScoredToken(id, l);
        }
        for (int i = 0; i < n; i++) destination[i] = destination[i] with { Logprob = destination[i].Logprob - logSumExp };
    }

    private static void ThrowTooMany(int n, int vocabSize) =>
        throw new ArgumentOutOfRangeException(nameof(n), n, $"logprobs: expected at most {vocabSize} (V) alternatives, found a request for {n}");
}
