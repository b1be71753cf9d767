// The sampler chain: logits in, one token id out, through composed ITokenSampler stages.
namespace Quill.Generation;

/// <summary>
/// Runs its stages in order over one <see cref="TokenCandidates"/> buffer (allocated once, sized V) and returns the
/// token the terminal stage selected. <see cref="Create"/> builds llama.cpp's default chain from
/// <see cref="SamplingOptions"/>. One instance serves one sequence at a time (it holds the RNG state).
/// </summary>
public sealed class Sampler
{
    private readonly ITokenSampler[] _stages;

    /// <summary>A chain over a vocabulary of <paramref name="vocabSize"/>; the last stage must select a token.</summary>
    public Sampler(int vocabSize, IEnumerable<ITokenSampler> stages)
    {
        _stages = [.. stages];
        if (_stages.Length == 0) throw new ArgumentException("sampler: expected at least one stage, found none", nameof(stages));
        Candidates = new TokenCandidates(vocabSize);
        Seed = _stages.OfType<DistributionSampler>().Select(d => (ulong?)d.Seed).FirstOrDefault();
    }

    /// <summary>
    /// llama.cpp's order: penalties → top-k → top-p → min-p → temperature → draw. With temperature ≤ 0 the chain is
    /// penalties → greedy (the filters cannot remove the best token, so they are skipped) and no seed is used.
    /// </summary>
    public static Sampler Create(SamplingOptions options, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var chain = new List<ITokenSampler>(6);
        if (options.HasPenalties)
        {
            chain.Add(new PenaltySampler(vocabSize, options.RepeatLastN, options.RepeatPenalty, options.FrequencyPenalty, options.PresencePenalty));
        }
        if (options.IsGreedy)
        {
            chain.Add(new GreedySampler());
            return new Sampler(vocabSize, chain);
        }
        if (options.TopK > 0) chain.Add(new TopKSampler(options.TopK));
        if (options.TopP < 1) chain.Add(new TopPSampler(options.TopP));
        if (options.MinP > 0) chain.Add(new MinPSampler(options.MinP));
        chain.Add(new TemperatureSampler(options.Temperature));
        chain.Add(new DistributionSampler(options.Seed));
        return new Sampler(vocabSize, chain);
    }

    /// <summary>The stages, in the order they run.</summary>
    public IReadOnlyList<ITokenSampler> Stages => _stages;

    /// <summary>The working buffer; after <see cref="Sample(ReadOnlySpan{float}, ReadOnlySpan{int})"/> it holds the survivors of the last draw.</summary>
    public TokenCandidates Candidates { get; }

    /// <summary>The seed of the random draw, or null when the chain draws nothing at random.</summary>
    public ulong? Seed { get; }

    /// <summary>
    /// Picks the next token from <paramref name="logits"/> (V). <paramref name="history"/> is the sequence so far,
    /// prompt included, oldest first (the penalties' window). Allocates nothing.
    /// </summary>
    public int Sample(ReadOnlySpan<float> logits, ReadOnlySpan<int> history)
    {
        Candidates.Reset(logits);
        foreach (ITokenSampler stage in _stages) stage.Apply(Candidates, history);
        int selected = Candidates.Selected;
        if ((uint)selected >= (uint)Candidates.Count) ThrowNothingSelected(_stages[^1]);
        return Candidates.Ids[selected];
    }

    /// <summary>
    /// Picks the next token as <see cref="Sample(ReadOnlySpan{float}, ReadOnlySpan{int})"/> does and reports its
    /// log-probability and the <c>alternatives.Length</c> most likely tokens, all from <see cref="LogSoftmax"/> over
    /// the raw logits (before penalties, filters and temperature), as OpenAI's logprobs are.
    /// </summary>
    public int Sample(ReadOnlySpan<float> logits, ReadOnlySpan<int> history, Span<ScoredToken> alternatives, out float logprob)
    {
        int token = Sample(logits, history);
        float logSumExp = LogSoftmax.LogSumExp(logits);
        logprob = LogSoftmax.Of(logits, token, logSumExp);
        LogSoftmax.Top(logits, logSumExp, alternatives);
        return token;
    }

    private static void ThrowNothingSelected(ITokenSampler last) =>
        throw new InvalidOperationException($"sampler: expected the last stage to select a token, found none selected after {last.GetType().Name}");
}
