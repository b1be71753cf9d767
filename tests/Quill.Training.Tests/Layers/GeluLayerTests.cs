// GELU (erf form): the input gradient against finite differences, forward against the inference kernel.
using Quill.Tensors.Kernels;
using Quill.Training.Layers;
using static Quill.Training.Tests.FiniteDifference;

namespace Quill.Training.Tests.Layers;

public class GeluLayerTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(4097)]
    public void GradientMatchesFiniteDifferences(int n)
    {
        var rng = new Random(n);
        var layer = new GeluLayer();
        var x = RandomValues(rng, n, 4f);
        var r = RandomValues(rng, n);
        var y = new float[n];
        var dx = new float[n];
        layer.Forward(x, y);
        layer.Backward(r, dx);
        var expected = (float[])x.Clone();
        GeluErf.Forward(expected);
        Assert.Equal(expected, y);
        if (n > 64) return;   // the forward's elementwise: small sizes suffice for differences
        double Loss() { layer.Forward(x, y); return Project(r, y); }
        AssertGradient("dx", x, dx, Loss);
    }
}
