// The sampler chain as a whole: stage order, seeds, greedy, the draw's frequencies, logprobs, allocation; not single stages.
using Quill.Generation;

namespace Quill.Tests.Generation;

public class SamplerTests
{
    private const int Vocab = 50;

    private static float[] SmoothLogits(int vocab) => [.. Enumerable.Range(0, vocab).Select(i => MathF.Sin(i * 0.7f))];

    private static int[] Draw(Sampler sampler, float[] logits, int count)
    {
        var history = new List<int>();
        for (int i = 0; i < count; i++) history.Add(sampler.Sample(logits, history.ToArray()));
        return [.. history];
    }

    [Fact]
    public void CreateFollowsLlamaCppOrder()
    {
        var options = new SamplingOptions { RepeatPenalty = 1.1f };
        Type[] stages = [.. Sampler.Create(options, Vocab).Stages.Select(s => s.GetType())];
        Assert.Equal(new[] { typeof(PenaltySampler), typeof(TopKSampler), typeof(TopPSampler), typeof(MinPSampler), typeof(TemperatureSampler),
            typeof(DistributionSampler) }, stages);
    }

    [Fact]
    public void CreateDropsStagesThatAreOff()
    {
        var options = new SamplingOptions { TopK = 0, TopP = 1, MinP = 0, Temperature = 1 };
        Assert.Equal(new[] { typeof(TemperatureSampler), typeof(DistributionSampler) }, Sampler.Create(options, Vocab).Stages.Select(s => s.GetType()));
        Assert.Equal(new[] { typeof(GreedySampler) }, Sampler.Create(SamplingOptions.Greedy, Vocab).Stages.Select(s => s.GetType()));
    }

    [Fact]
    public void SameSeedGivesSameTokensAndDifferentSeedsDiffer()
    {
        float[] logits = SmoothLogits(Vocab);
        var options = new SamplingOptions { Temperature = 1.5f, TopK = 0, TopP = 1, MinP = 0, Seed = 1 };
        int[] first = Draw(Sampler.Create(options, Vocab), logits, 64);
        int[] again = Draw(Sampler.Create(options, Vocab), logits, 64);
        int[] other = Draw(Sampler.Create(options with { Seed = 2 }, Vocab), logits, 64);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other); // 64 draws over ~50 plausible tokens: equal by chance ~never
    }

    [Fact]
    public void SeedlessSamplersPickTheirOwnSeedAndReportIt()
    {
        Sampler a = Sampler.Create(new SamplingOptions(), Vocab);
        Sampler b = Sampler.Create(new SamplingOptions(), Vocab);
        Assert.NotNull(a.Seed);
        Assert.NotEqual(a.Seed, b.Seed);
        float[] logits = SmoothLogits(Vocab);
        var options = new SamplingOptions { Temperature = 1.5f, TopK = 0, TopP = 1, MinP = 0 };
        Sampler random = Sampler.Create(options, Vocab);
        Assert.Equal(Draw(random, logits, 32), Draw(Sampler.Create(options with { Seed = random.Seed }, Vocab), logits, 32));
    }

    [Fact]
    public void GreedyIgnoresTheSeed()
    {
        float[] logits = SmoothLogits(Vocab);
        int[] a = Draw(Sampler.Create(SamplingOptions.Greedy with { Seed = 1 }, Vocab), logits, 8);
        int[] b = Draw(Sampler.Create(SamplingOptions.Greedy with { Seed = 99 }, Vocab), logits, 8);
        Assert.Equal(a, b);
        Assert.All(a, t => Assert.Equal(Array.IndexOf(logits, logits.Max()), t));
        Assert.Null(Sampler.Create(SamplingOptions.Greedy with { Seed = 1 }, Vocab).Seed);
    }

    [Fact]
    public void GreedyWithRepeatPenaltyMovesOffARepeatedToken()
    {
        float[] logits = [1.0f, 2.0f, 1.9f];
        Sampler sampler = Sampler.Create(SamplingOptions.Greedy with { RepeatPenalty = 1.5f, RepeatLastN = -1 }, 3);
        Assert.Equal(2, sampler.Sample(logits, [1])); // 2.0 / 1.5 < 1.9
        Assert.Equal(1, sampler.Sample(logits, [])); // nothing seen: plain argmax
    }

    [Fact]
    public void DrawFrequenciesFollowTheProbabilities()
    {
        const int Draws = 40_000;
        const double FrequencyTolerance = 0.01; // ~4 standard errors at p = 0.4
        float[] probs = [0.1f, 0.2f, 0.3f, 0.4f];
        float[] logits = [.. probs.Select(p => MathF.Log(p))];
        Sampler sampler = Sampler.Create(new SamplingOptions { Temperature = 1, TopK = 0, TopP = 1, MinP = 0, Seed = 3 }, 4);
        var counts = new int[4];
        for (int i = 0; i < Draws; i++) counts[sampler.Sample(logits, [])]++;
        for (int t = 0; t < 4; t++) Assert.InRange(counts[t] / (double)Draws, probs[t] - FrequencyTolerance, probs[t] + FrequencyTolerance);
    }

    [Fact]
    public void DefaultChainNeverDrawsWhatMinPRemoves()
    {
        float[] logits = [0, 0, -10, -10]; // p(2) / p(0) = e^-10, far below min-p 0.05
        Sampler sampler = Sampler.Create(new SamplingOptions { Seed = 5 }, 4);
        for (int i = 0; i < 1000; i++) Assert.InRange(sampler.Sample(logits, []), 0, 1);
    }

    [Fact]
    public void LogprobsComeFromTheRawDistribution()
    {
        const float LogprobTolerance = 1e-5f;
        float[] probs = [0.1f, 0.2f, 0.3f, 0.4f];
        float[] logits = [.. probs.Select(p => MathF.Log(p) + 7)]; // shifted: log-softmax must not care
        // Greedy with a repeat penalty on token 3 picks token 2; the logprobs still describe the unpenalised model.
        Sampler sampler = Sampler.Create(SamplingOptions.Greedy with { RepeatPenalty = 2, RepeatLastN = -1 }, 4);
        var top = new ScoredToken[3];
        int token = sampler.Sample(logits, [3], top, out float logprob);
        Assert.Equal(2, token);
        Assert.Equal(MathF.Log(0.3f), logprob, LogprobTolerance);
        Assert.Equal(new[] { 3, 2, 1 }, top.Select(t => t.Id));
        Assert.Equal(MathF.Log(0.4f), top[0].Logprob, LogprobTolerance);
        Assert.Equal(MathF.Log(0.2f), top[2].Logprob, LogprobTolerance);
    }

    [Fact]
    public void TopLogprobsBreakTiesByLowerId()
    {
        var top = new ScoredToken[3];
        LogSoftmax.Top([1, 5, 5, 0, 5], LogSoftmax.LogSumExp([1, 5, 5, 0, 5]), top);
        Assert.Equal(new[] { 1, 2, 4 }, top.Select(t => t.Id));
    }

    [Fact]
    public void SamplingAllocatesNothingPerToken()
    {
        const int V = 5000;
        float[] logits = SmoothLogits(V);
        int[] history = [.. Enumerable.Range(0, 200).Select(i => i * 7 % V)];
        var options = new SamplingOptions { RepeatPenalty = 1.1f, FrequencyPenalty = 0.2f, PresencePenalty = 0.1f, TopK = 0, Seed = 9 };
        Sampler sampler = Sampler.Create(options, V);
        var top = new ScoredToken[5];
        for (int i = 0; i < 50; i++) sampler.Sample(logits, history, top, out _); // warm up (tiered JIT)
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) sampler.Sample(logits, history, top, out _);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void ChainWithoutATerminalStageSaysSo()
    {
        var sampler = new Sampler(4, [new TopKSampler(2)]);
        Assert.Throws<InvalidOperationException>(() => sampler.Sample(new float[4], []));
    }

    [Theory]
    [InlineData(-1, 0.95f, 0.05f, 1.0f, 64)]
    [InlineData(40, 1.5f, 0.05f, 1.0f, 64)]
    [InlineData(40, 0.95f, -0.1f, 1.0f, 64)]
    [InlineData(40, 0.95f, 0.05f, 0.0f, 64)]
    [InlineData(40, 0.95f, 0.05f, 1.0f, -2)]
    public void InvalidOptionsAreRejected(int topK, float topP, float minP, float repeat, int lastN)
    {
        var options = new SamplingOptions { TopK = topK, TopP = topP, MinP = minP, RepeatPenalty = repeat, RepeatLastN = lastN };
        Assert.Throws<ArgumentOutOfRangeException>(() => Sampler.Create(options, Vocab));
    }
}
