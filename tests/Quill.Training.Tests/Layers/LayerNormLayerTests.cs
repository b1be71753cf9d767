// LayerNorm: gradients against finite differences, forward bit for bit against the inference kernel.
using Quill.Tensors.Kernels;
using Quill.Training.Layers;
using static Quill.Training.Tests.FiniteDifference;

namespace Quill.Training.Tests.Layers;

public class LayerNormLayerTests
{
    [Theory]
    [InlineData(15, 7, 1e-5f)]
    [InlineData(1, 1, 1e-6f)]
    [InlineData(3, 31, 1e-12f)]
    [InlineData(2, 33, 1e-2f)]
    public void GradientsMatchFiniteDifferences(int rows, int dim, float eps)
    {
        var rng = new Random(rows + dim);
        var layer = new LayerNormLayer(dim, eps);
        RandomValues(rng, dim).CopyTo(layer.Weight, 0);
        RandomValues(rng, dim).CopyTo(layer.Bias, 0);
        var x = RandomValues(rng, rows * dim);
        var r = RandomValues(rng, x.Length);
        var y = new float[x.Length];
        var dx = new float[x.Length];
        layer.Forward(x, y);
        layer.Backward(r, dx);
        double Loss() { layer.Forward(x, y); return Project(r, y); }
        if (dim > 1) AssertGradient("dx", x, dx, Loss);
        else Assert.All(dx, value => Assert.Equal(0f, value));   // one channel normalises to 0 whatever x is
        AssertGradient("db", layer.Bias, layer.BiasGrad, Loss);
        if (dim > 1) AssertGradient("dw", layer.Weight, layer.WeightGrad, Loss);
    }

    [Fact]
    public void ForwardIsTheInferenceKernelBitForBit()
    {
        var rng = new Random(3);
        const int rows = 5, dim = 33;
        var layer = new LayerNormLayer(dim, 1e-12f);
        RandomValues(rng, dim).CopyTo(layer.Weight, 0);
        RandomValues(rng, dim).CopyTo(layer.Bias, 0);
        var x = RandomValues(rng, rows * dim, 4f);
        var y = new float[x.Length];
        var expected = new float[x.Length];
        layer.Forward(x, y);
        for (int t = 0; t < rows; t++)
            LayerNorm.Forward(x.AsSpan(t * dim, dim), layer.Weight, layer.Bias, 1e-12f, expected.AsSpan(t * dim, dim));
        Assert.Equal(expected, y);
    }

    [Fact]
    public void FrozenGivesInputGradientOnly()
    {
        var rng = new Random(4);
        var layer = new LayerNormLayer(9, 1e-5f) { Frozen = true };
        var x = RandomValues(rng, 18);
        var dx = new float[18];
        layer.Forward(x, new float[18]);
        layer.Backward(RandomValues(rng, 18), dx);
        Assert.Contains(dx, value => value != 0);
        Assert.All(layer.WeightGrad, value => Assert.Equal(0f, value));
        Assert.All(layer.BiasGrad, value => Assert.Equal(0f, value));
    }
}
