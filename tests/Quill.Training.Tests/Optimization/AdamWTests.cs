// AdamW: a few steps against torch.optim.AdamW's formulas written out in double, decay switches, bias correction.
using Quill.Training.Optimization;

namespace Quill.Training.Tests.Optimization;

public class AdamWTests
{
    /// <summary>Float update against the double formulas; values are O(1), so this is a few float ulps.</summary>
    private const double FormulaTolerance = 1e-6;

    private static readonly float[][] Gradients =
    [
        [0.5f, -1.25f, 3e-3f, 0f, -2f],
        [0.25f, 0.75f, -4e-3f, 1f, -2f],
        [-0.125f, 0.5f, 1e-2f, -1f, 0.5f],
    ];

    private static readonly float[] Initial = [1f, -0.5f, 0.25f, 2f, -3f];

    /// <summary>torch.optim.AdamW, step by step, in double.</summary>
    private static double[] ExpectedAfter(int steps, double lr, double wd, bool decay, double b1 = 0.9, double b2 = 0.999, double eps = 1e-8)
    {
        var p = Initial.Select(x => (double)x).ToArray();
        var m = new double[p.Length];
        var v = new double[p.Length];
        for (int t = 1; t <= steps; t++)
        {
            var g = Gradients[t - 1];
            for (int i = 0; i < p.Length; i++)
            {
                if (decay) p[i] -= lr * wd * p[i];
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                double mHat = m[i] / (1 - Math.Pow(b1, t));
                double vHat = v[i] / (1 - Math.Pow(b2, t));
                p[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
            }
        }
        return p;
    }

    [Theory]
    [InlineData(1, 1e-2, 0.01, true)]
    [InlineData(2, 1e-2, 0.01, true)]
    [InlineData(3, 1e-2, 0.01, true)]
    [InlineData(3, 5e-2, 0.1, true)]
    [InlineData(3, 5e-2, 0.1, false)]
    public void StepsMatchTorchFormulas(int steps, double lr, double wd, bool decay)
    {
        var set = new ParameterSet();
        var p = set.Add("w", (float[])Initial.Clone(), new float[Initial.Length], decay);
        var adam = new AdamW(set, (float)lr, weightDecay: (float)wd);
        for (int t = 0; t < steps; t++)
        {
            Gradients[t].CopyTo(p.Grad, 0);
            adam.Step();
        }
        var expected = ExpectedAfter(steps, (float)lr, (float)wd, decay);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - p.Value[i]) <= FormulaTolerance, $"element {i}: expected {expected[i]}, found {p.Value[i]}");
        Assert.Equal(steps, adam.StepCount);
    }

    [Fact]
    public void WeightDecayIsSkippedForUndecayedParameters()
    {
        var set = new ParameterSet();
        var decayed = set.Add("w", [2f], new float[1], decay: true);
        var plain = set.Add("b", [2f], new float[1], decay: false);
        new AdamW(set, learningRate: 0.1f, weightDecay: 0.5f).Step(); // zero gradients: only decay moves p
        Assert.Equal(2f * (1f - 0.1f * 0.5f), decayed.Value[0]);
        Assert.Equal(2f, plain.Value[0]);
    }

    [Theory]
    [InlineData(0.5f)]
    [InlineData(-3f)]
    [InlineData(1e-3f)]
    public void FirstStepIsCorrectedToLearningRateTimesSign(float g)
    {
        // At t = 1, m̂ = g and v̂ = g², so the update is lr·g/(|g| + eps) ≈ lr·sign(g), whatever β1 and β2 are.
        var set = new ParameterSet();
        var p = set.Add("w", [1f], [g], decay: false);
        new AdamW(set, learningRate: 0.01f, beta1: 0.8f, beta2: 0.99f).Step();
        double expected = 1.0 - 0.01 * g / (Math.Abs(g) + 1e-8);
        Assert.True(Math.Abs(expected - p.Value[0]) <= FormulaTolerance, $"expected {expected}, found {p.Value[0]}");
    }
}
