// Hand-checkable tables for each sampler stage, taken from llama.cpp tests/test-sampling.cpp; not chain or seed tests.
using Quill.Generation;

namespace Quill.Tests.Generation;

public class SamplerStageTests
{
    private const float ProbTolerance = 1e-5f; // test-sampling.cpp's tolerance

    // Candidates with logits ln(p), run through the stages and then a draw (which normalises the survivors' probs).
    private static TokenCandidates Run(float[] probs, int[] history, params ITokenSampler[] stages)
    {
        var candidates = new TokenCandidates(probs.Length);
        candidates.Reset([.. probs.Select(p => MathF.Log(p))]);
        foreach (ITokenSampler stage in stages) stage.Apply(candidates, history);
        new DistributionSampler(0).Apply(candidates, history);
        return candidates;
    }

    private static void AssertProbs(float[] expected, TokenCandidates candidates)
    {
        Assert.Equal(expected.Length, candidates.Count);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - candidates.Probs[i]) < ProbTolerance, $"candidate {i}: expected p={expected[i]}, found {candidates.Probs[i]}");
    }

    private static readonly float[] Rising = [0.1f, 0.2f, 0.3f, 0.4f];

    [Theory]
    [InlineData(1, new[] { 1.0f }, new[] { 3 })]
    [InlineData(3, new[] { 0.44444f, 0.33333f, 0.22222f }, new[] { 3, 2, 1 })]
    [InlineData(4, new[] { 0.4f, 0.3f, 0.2f, 0.1f }, new[] { 3, 2, 1, 0 })]
    [InlineData(0, new[] { 0.1f, 0.2f, 0.3f, 0.4f }, new[] { 0, 1, 2, 3 })]
    [InlineData(9, new[] { 0.4f, 0.3f, 0.2f, 0.1f }, new[] { 3, 2, 1, 0 })]
    public void TopKKeepsTheKBestSorted(int k, float[] expected, int[] ids)
    {
        TokenCandidates c = Run(Rising, [], new TopKSampler(k));
        AssertProbs(expected, c);
        Assert.Equal(ids, c.Ids.ToArray());
    }

    [Theory]
    [InlineData(0.0f, new[] { 1.0f }, new[] { 3 })]
    [InlineData(0.7f, new[] { 0.571429f, 0.428571f }, new[] { 3, 2 })]
    [InlineData(0.8f, new[] { 0.44444f, 0.33333f, 0.22222f }, new[] { 3, 2, 1 })]
    [InlineData(1.0f, new[] { 0.1f, 0.2f, 0.3f, 0.4f }, new[] { 0, 1, 2, 3 })]
    public void TopPKeepsTheSmallestSetReachingP(float p, float[] expected, int[] ids)
    {
        TokenCandidates c = Run(Rising, [], new TopPSampler(p));
        AssertProbs(expected, c);
        Assert.Equal(ids, c.Ids.ToArray());
    }

    [Theory]
    [InlineData(0.00f, new[] { 0.1f, 0.2f, 0.3f, 0.4f })]
    [InlineData(0.24f, new[] { 0.1f, 0.2f, 0.3f, 0.4f })]
    [InlineData(0.26f, new[] { 0.2f / 0.9f, 0.3f / 0.9f, 0.4f / 0.9f })]
    [InlineData(0.49f, new[] { 0.2f / 0.9f, 0.3f / 0.9f, 0.4f / 0.9f })]
    [InlineData(0.51f, new[] { 0.3f / 0.7f, 0.4f / 0.7f })]
    [InlineData(0.74f, new[] { 0.3f / 0.7f, 0.4f / 0.7f })]
    [InlineData(0.76f, new[] { 1.0f })]
    [InlineData(1.00f, new[] { 1.0f })]
    [InlineData(1.05f, new[] { 1.0f })]
    public void MinPKeepsTokensNearTheBestInVocabularyOrder(float p, float[] expected)
    {
        TokenCandidates c = Run(Rising, [], new MinPSampler(p));
        AssertProbs(expected, c);
        Assert.Equal(Enumerable.Range(4 - expected.Length, expected.Length), c.Ids.ToArray());
    }

    [Theory]
    [InlineData(1.0f, new[] { 0.1f, 0.2f, 0.3f, 0.4f })]
    [InlineData(0.0f, new[] { 1.0f })] // llama.cpp keeps all four with p {0, 0, 0, 1}; we drop the impossible ones
    public void TemperatureOneKeepsTheDistributionAndZeroKeepsTheBest(float temperature, float[] expected)
    {
        TokenCandidates c = Run(Rising, [], new TemperatureSampler(temperature));
        AssertProbs(expected, c);
    }

    [Fact]
    public void TemperatureTwoFlattensAsSquareRoots()
    {
        // p ∝ exp(ln p / 2) = √p: √.1, √.2, √.3, √.4 normalised.
        float[] roots = [.. Rising.Select(p => MathF.Sqrt(p))];
        float sum = roots.Sum();
        TokenCandidates c = Run(Rising, [], new TemperatureSampler(2));
        AssertProbs([.. roots.Select(r => r / sum)], c);
    }

    private static readonly float[] Flat5 = [0.2f, 0.2f, 0.2f, 0.2f, 0.2f];

    public static TheoryData<int[], float[], float, float, float> PenaltyCases => new()
    {
        { new[] { 0 }, new[] { 0f, 0.25f, 0.25f, 0.25f, 0.25f }, 50, 0, 0 },
        { new[] { 0, 1, 2 }, new[] { 0f, 0f, 0f, 0.5f, 0.5f }, 50, 0, 0 },
        { new[] { 0, 1, 2, 0, 0 }, new[] { 0f, 0f, 0f, 0.5f, 0.5f }, 50, 0, 0 },
        { new[] { 0 }, new[] { 0.000011f, 0.249997f, 0.249997f, 0.249997f, 0.249997f }, 1, 5, 5 },
        { new[] { 0, 1, 2 }, new[] { 0.000023f, 0.000023f, 0.000023f, 0.499966f, 0.499966f }, 1, 5, 5 },
        { new[] { 0, 1, 2, 0, 0 }, new[] { 0.000000f, 0.000023f, 0.000023f, 0.499977f, 0.499977f }, 1, 5, 5 },
    };

    [Theory]
    [MemberData(nameof(PenaltyCases))]
    public void PenaltiesLowerTokensSeenInTheWindow(int[] history, float[] expected, float repeat, float frequency, float presence)
    {
        TokenCandidates c = Run(Flat5, history, new PenaltySampler(5, history.Length, repeat, frequency, presence));
        AssertProbs(expected, c);
    }

    [Theory]
    [InlineData(2.0f, 1.0f)]   // positive logit: divided
    [InlineData(-2.0f, -4.0f)] // negative logit: multiplied, so it too goes down
    [InlineData(0.0f, 0.0f)]
    public void RepeatPenaltyDividesPositiveAndMultipliesNegativeLogits(float logit, float expected)
    {
        var c = new TokenCandidates(3);
        c.Reset([logit, 5, 5]);
        new PenaltySampler(3, -1, 2, 0, 0).Apply(c, [0]);
        Assert.Equal(expected, c.Logits[0]);
        Assert.Equal(5, c.Logits[1]);
    }

    [Theory]
    [InlineData(-1, 10 - 3 * 0.5f - 1)] // whole history: token 0 seen 3 times
    [InlineData(2, 10 - 1 * 0.5f - 1)]  // last 2 tokens: seen once
    [InlineData(1, 10)]                 // last token is 1: token 0 untouched
    [InlineData(0, 10)]                 // window 0: off
    public void FrequencyAndPresenceCountTheWindow(int lastN, float expected)
    {
        var c = new TokenCandidates(2);
        c.Reset([10, 10]);
        new PenaltySampler(2, lastN, 1, 0.5f, 1).Apply(c, [0, 0, 0, 1]);
        Assert.Equal(expected, c.Logits[0]);
    }

    [Fact]
    public void PenaltiesFindTokensAfterCandidatesWereReordered()
    {
        var c = new TokenCandidates(4);
        c.Reset([1, 4, 2, 3]);
        new TopKSampler(3).Apply(c, []); // ids now 1, 3, 2
        new PenaltySampler(4, -1, 2, 0, 0).Apply(c, [3, 0]);
        Assert.Equal(new[] { 1, 3, 2 }, c.Ids.ToArray());
        Assert.Equal(new[] { 4f, 1.5f, 2f }, c.Logits.ToArray());
        // The counts are cleared for the next call: a second, empty-history pass changes nothing.
        new PenaltySampler(4, -1, 2, 0, 0).Apply(c, []);
        Assert.Equal(new[] { 4f, 1.5f, 2f }, c.Logits.ToArray());
    }

    [Theory]
    [InlineData(new[] { 1f, 3f, 3f, 2f }, 1)]        // tie: the lower id wins
    [InlineData(new[] { 5f, 1f, 5f }, 0)]
    [InlineData(new[] { float.NaN, -1f }, 1)]       // NaN counts as -inf
    public void GreedyPicksTheHighestLogitLowestIdOnTies(float[] logits, int expected)
    {
        var c = new TokenCandidates(logits.Length);
        c.Reset(logits);
        new GreedySampler().Apply(c, []);
        Assert.Equal(expected, c.Ids[c.Selected]);
    }

    [Fact]
    public void TopPSortsEverythingWhenTheFirst256DoNotReachP()
    {
        // 1000 equal tokens: the best 256 hold 25.6%, so top-p 0.5 must look past them and keep exactly 500.
        var c = new TokenCandidates(1000);
        c.Reset(new float[1000]);
        new TopPSampler(0.5f).Apply(c, []);
        Assert.InRange(c.Count, 499, 501); // float cumulative sum of 0.001s
        Assert.Equal(Enumerable.Range(0, c.Count), c.Ids.ToArray()); // ties: lower ids first
    }
}
