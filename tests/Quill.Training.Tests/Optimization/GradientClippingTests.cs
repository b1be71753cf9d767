// Global-norm clipping: the norm in double, below the maximum nothing changes, above it the norm becomes the maximum.
using Quill.Training.Optimization;

namespace Quill.Training.Tests.Optimization;

public class GradientClippingTests
{
    private const double NormTolerance = 1e-5;

    private static ParameterSet ThreeFourTwelve() // norms 3·4·12 → sqrt(9 + 16 + 144) = 13
    {
        var set = new ParameterSet();
        set.Add("a", new float[2], [3f, 0f]);
        set.Add("b", new float[1], [4f], decay: false);
        set.Add("c", new float[3], [0f, 12f, 0f]);
        return set;
    }

    [Fact]
    public void GlobalNormIsOverAllParameters() => Assert.Equal(13.0, ThreeFourTwelve().GlobalGradNorm(), 12);

    [Fact]
    public void BelowMaximumGradientsAreUnchanged()
    {
        var set = ThreeFourTwelve();
        Assert.Equal(13.0, GradientClipping.ClipByGlobalNorm(set, 20), 12);
        Assert.Equal([3f, 0f], set[0].Grad);
        Assert.Equal([4f], set[1].Grad);
        Assert.Equal([0f, 12f, 0f], set[2].Grad);
    }

    [Fact]
    public void AboveMaximumGradientsAreScaledToIt()
    {
        var set = ThreeFourTwelve();
        Assert.Equal(13.0, GradientClipping.ClipByGlobalNorm(set, 1.3), 12);
        Assert.InRange(set.GlobalGradNorm(), 1.3 - NormTolerance, 1.3 + NormTolerance);
        Assert.InRange(set[1].Grad[0], 0.4f - 1e-5f, 0.4f + 1e-5f); // direction kept: 4 · 1.3/13
    }

    [Fact]
    public void ZeroGradClearsEverything()
    {
        var set = ThreeFourTwelve();
        set.ZeroGrad();
        Assert.Equal(0.0, set.GlobalGradNorm());
        Assert.Equal(3, set.Count);
        Assert.Equal(6, set.ElementCount);
    }
}
