// RMSNorm: gradients against finite differences, forward against the inference kernel.
using Quill.Tensors.Kernels;
using Quill.Training.Layers;
using static Quill.Training.Tests.FiniteDifference;

namespace Quill.Training.Tests.Layers;

public class RmsNormLayerTests
{
    private const float ForwardTolerance = 1e-5f;

    [Theory]
    [InlineData(15, 7, 1e-5f)]
    [InlineData(1, 3, 1e-6f)]
    [InlineData(3, 33, 1e-2f)]
    public void GradientsMatchFiniteDifferences(int rows, int dim, float eps)
    {
        var rng = new Random(rows + dim);
        var layer = new RmsNormLayer(dim, eps);
        RandomValues(rng, dim).CopyTo(layer.Weight, 0);
        var x = RandomValues(rng, rows * dim);
        var r = RandomValues(rng, x.Length);
        var y = new float[x.Length];
        var dx = new float[x.Length];
        layer.Forward(x, y);
        layer.Backward(r, dx);
        double Loss() { layer.Forward(x, y); return Project(r, y); }
        AssertGradient("dx", x, dx, Loss);
        AssertGradient("dw", layer.Weight, layer.WeightGrad, Loss);
    }

    [Fact]
    public void ForwardMatchesInferenceKernel()
    {
        var rng = new Random(3);
        const int rows = 5, dim = 33;
        var layer = new RmsNormLayer(dim, 1e-5f);
        RandomValues(rng, dim).CopyTo(layer.Weight, 0);
        var x = RandomValues(rng, rows * dim);
        var y = new float[x.Length];
        var expected = new float[x.Length];
        layer.Forward(x, y);
        for (int t = 0; t < rows; t++) RmsNorm.Forward(x.AsSpan(t * dim, dim), layer.Weight, 1e-5f, expected.AsSpan(t * dim, dim));
        AssertClose(expected, y, ForwardTolerance);
    }
}
