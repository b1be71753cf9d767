// Linear: gradients against finite differences, forward against the inference MatMul on F32 weights.
using Quill.Tensors;
using Quill.Tensors.Kernels;
using Quill.Training.Layers;
using static Quill.Training.Tests.FiniteDifference;

namespace Quill.Training.Tests.Layers;

public class LinearTests
{
    private const float ForwardTolerance = 1e-5f;

    [Theory]
    [InlineData(15, 7, 6, true)]
    [InlineData(1, 1, 1, false)]
    [InlineData(4, 33, 5, true)]
    public void GradientsMatchFiniteDifferences(int rows, int inFeatures, int outFeatures, bool bias)
    {
        var rng = new Random(rows * 100 + inFeatures);
        var layer = new Linear(inFeatures, outFeatures, bias);
        RandomValues(rng, layer.Weight.Length).CopyTo(layer.Weight, 0);
        if (bias) RandomValues(rng, outFeatures).CopyTo(layer.Bias!, 0);
        var x = RandomValues(rng, rows * inFeatures);
        var r = RandomValues(rng, rows * outFeatures);
        var y = new float[rows * outFeatures];
        var dx = new float[x.Length];
        layer.Forward(x, y);
        layer.Backward(r, dx);
        double Loss() { layer.Forward(x, y); return Project(r, y); }
        AssertGradient("dx", x, dx, Loss);
        AssertGradient("dW", layer.Weight, layer.WeightGrad, Loss);
        if (bias) AssertGradient("db", layer.Bias!, layer.BiasGrad, Loss);
    }

    [Fact]
    public unsafe void ForwardMatchesInferenceMatMul()
    {
        var rng = new Random(5);
        const int rows = 3, inFeatures = 31, outFeatures = 7;
        var layer = new Linear(inFeatures, outFeatures);
        RandomValues(rng, layer.Weight.Length).CopyTo(layer.Weight, 0);
        var x = RandomValues(rng, rows * inFeatures);
        var y = new float[rows * outFeatures];
        var expected = new float[y.Length];
        layer.Forward(x, y);
        fixed (float* w = layer.Weight)
            MatMul.Reference(new WeightMatrix("w", GgmlType.F32, outFeatures, inFeatures, (byte*)w), x, expected, rows);
        AssertClose(expected, y, ForwardTolerance);
    }
}
