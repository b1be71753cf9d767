// The DPO loss and answer log-probabilities: stable log-sigmoid, ln 2 at the reference, gradient w.r.t. logits.
using Quill.Training.Data;
using Quill.Training.Preference;
using static Quill.Training.Tests.FiniteDifference;

namespace Quill.Training.Tests.Preference;

public class DpoLossTests
{
    private const double Exact = 1e-12;
    private const float SumTolerance = 1e-5f;
    private const int Ignore = TrainingExample.IgnoreIndex;

    [Theory]
    [InlineData(0.0, -0.69314718055994531)]
    [InlineData(2.0, -0.12692801104297249)]
    [InlineData(-2.0, -2.1269280110429725)]
    [InlineData(1000.0, 0.0)]
    [InlineData(-1000.0, -1000.0)]
    [InlineData(40.0, -4.248354255291589e-18)]
    public void LogSigmoid_is_finite_and_accurate_at_both_ends(double x, double expected)
    {
        double actual = DpoLoss.LogSigmoid(x);
        Assert.True(double.IsFinite(actual));
        Assert.Equal(expected, actual, Math.Max(Exact, Math.Abs(expected) * 1e-12));
    }

    [Theory]
    [InlineData(0.0, 0.5)]
    [InlineData(1000.0, 1.0)]
    [InlineData(-1000.0, 0.0)]
    [InlineData(-3.0, 0.047425873177566781)]
    public void Sigmoid_does_not_overflow(double x, double expected) => Assert.Equal(expected, DpoLoss.Sigmoid(x), Exact);

    [Fact]
    public void Loss_is_ln2_and_gradient_is_minus_beta_over_2n_when_policy_equals_reference()
    {
        double[] chosen = [-3.5, -1.25, -7], rejected = [-2, -9, -4.5];
        var gradient = new double[3];
        DpoStatistics s = DpoLoss.Forward(chosen, rejected, chosen, rejected, 0.1, gradient);
        Assert.Equal(Math.Log(2), s.Loss, 1e-7);
        Assert.Equal(0f, s.RewardAccuracy);
        Assert.Equal(0f, s.RewardMargin);
        Assert.Equal(3, s.Pairs);
        foreach (double g in gradient) Assert.Equal(-0.1 / 2 / 3, g, Exact);
    }

    [Fact]
    public void Rewards_margin_and_accuracy_follow_the_definitions()
    {
        // Pair 0: rewards 0.1·(−1 − −2) = 0.1 and 0.1·(−3 − −3) = 0 → won; pair 1: 0 and 0.1·(−1 − −2) = 0.1 → lost.
        var gradient = new double[2];
        DpoStatistics s = DpoLoss.Forward([-1, -5], [-3, -1], [-2, -5], [-3, -2], 0.1, gradient);
        Assert.Equal(0.5f, s.RewardAccuracy);
        Assert.Equal(0f, s.RewardMargin, 1e-7f);
        Assert.Equal(0.05f, s.ChosenReward, 1e-7f);
        Assert.Equal(0.05f, s.RejectedReward, 1e-7f);
        double expected = -(DpoLoss.LogSigmoid(0.1) + DpoLoss.LogSigmoid(-0.1)) / 2;
        Assert.Equal(expected, s.Loss, 1e-7);
    }

    /// <summary>2n rows of T positions over V tokens, with ignored targets (prompts and padding) in every row.</summary>
    private static (float[] Logits, int[] Targets) RandomRows(int seed, int rows, int sequence, int vocab)
    {
        var rng = new Random(seed);
        float[] logits = RandomValues(rng, rows * sequence * vocab, 3f);
        var targets = new int[rows * sequence];
        for (int t = 0; t < targets.Length; t++) targets[t] = t % sequence == 0 || rng.Next(4) == 0 ? Ignore : rng.Next(vocab);
        return (logits, targets);
    }

    private static double[] SumsInDouble(float[] logits, int[] targets, int rows, int vocab)
    {
        int sequence = targets.Length / rows;
        var sums = new double[rows];
        for (int t = 0; t < targets.Length; t++)
        {
            if (targets[t] == Ignore) continue;
            double max = double.NegativeInfinity, total = 0;
            for (int v = 0; v < vocab; v++) max = Math.Max(max, logits[t * vocab + v]);
            for (int v = 0; v < vocab; v++) total += Math.Exp(logits[t * vocab + v] - max);
            sums[t / sequence] += logits[t * vocab + targets[t]] - max - Math.Log(total);
        }
        return sums;
    }

    private static double DpoInDouble(double[] policy, double[] reference, double beta)
    {
        int n = policy.Length / 2;
        double loss = 0;
        for (int i = 0; i < n; i++)
            loss -= DpoLoss.LogSigmoid(beta * ((policy[i] - reference[i]) - (policy[n + i] - reference[n + i])));
        return loss / n;
    }

    [Theory]
    [InlineData(1, 7, 0.1)]
    [InlineData(2, 7, 1.0)]
    [InlineData(3, 33, 0.5)]
    [InlineData(2, 5, 8.0)]
    public void Gradient_with_respect_to_logits_matches_finite_differences(int pairs, int vocab, double beta)
    {
        int rows = 2 * pairs;
        const int sequence = 5;
        var (logits, targets) = RandomRows(pairs * 31 + vocab, rows, sequence, vocab);
        var rng = new Random(9);
        double[] reference = [.. Enumerable.Range(0, rows).Select(_ => -10 * rng.NextDouble())];

        var sums = new double[rows];
        var dLogits = new float[logits.Length];
        AnswerLogProbabilities.Forward(logits, targets, vocab, sums, dLogits);
        double[] expectedSums = SumsInDouble(logits, targets, rows, vocab);
        for (int b = 0; b < rows; b++) Assert.Equal(expectedSums[b], sums[b], SumTolerance);

        var chosenGradient = new double[pairs];
        DpoStatistics s = DpoLoss.Forward(sums.AsSpan(0, pairs), sums.AsSpan(pairs), reference.AsSpan(0, pairs), reference.AsSpan(pairs), beta, chosenGradient);
        Assert.Equal(DpoInDouble(expectedSums, reference, beta), s.Loss, SumTolerance);
        double[] coefficients = [.. chosenGradient, .. chosenGradient.Select(g => -g)];
        AnswerLogProbabilities.Backward(dLogits, targets, vocab, coefficients);
        for (int t = 0; t < targets.Length; t++)
            if (targets[t] == Ignore) Assert.All(dLogits.AsSpan(t * vocab, vocab).ToArray(), d => Assert.Equal(0f, d));

        AssertGradient($"dlogits (pairs {pairs}, V {vocab}, beta {beta})", logits, dLogits,
            () => DpoInDouble(SumsInDouble(logits, targets, rows, vocab), reference, beta));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 31)]
    [InlineData(4, 257)]
    public void Sums_without_softmax_output_equal_sums_with_it_bit_for_bit(int rows, int vocab)
    {
        var (logits, targets) = RandomRows(rows + vocab, rows, 6, vocab);
        var withSoftmax = new double[rows];
        var without = new double[rows];
        AnswerLogProbabilities.Forward(logits, targets, vocab, withSoftmax, new float[logits.Length]);
        AnswerLogProbabilities.Forward(logits, targets, vocab, without, default);
        for (int b = 0; b < rows; b++) Assert.Equal(without[b], withSoftmax[b]);
    }

    [Fact]
    public void Targets_outside_the_vocabulary_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            AnswerLogProbabilities.Forward(new float[2 * 3], [1, 3], 3, new double[1], default));
        Assert.Contains("found 3, at position 1", e.Message);
    }
}
