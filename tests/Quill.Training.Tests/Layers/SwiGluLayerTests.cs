// SwiGLU: gradients of gate and up against finite differences, forward against the inference kernel.
using Quill.Tensors.Kernels;
using Quill.Training.Layers;
using static Quill.Training.Tests.FiniteDifference;

namespace Quill.Training.Tests.Layers;

public class SwiGluLayerTests
{
    private const float ForwardTolerance = 1e-5f;

    [Theory]
    [InlineData(105)]
    [InlineData(1)]
    [InlineData(257)]
    public void GradientsMatchFiniteDifferences(int length)
    {
        var rng = new Random(length);
        var layer = new SwiGluLayer();
        var gate = RandomValues(rng, length, 3f);
        var up = RandomValues(rng, length);
        var r = RandomValues(rng, length);
        var y = new float[length];
        var dgate = new float[length];
        var dup = new float[length];
        layer.Forward(gate, up, y);
        layer.Backward(r, dgate, dup);
        double Loss() { layer.Forward(gate, up, y); return Project(r, y); }
        AssertGradient("dgate", gate, dgate, Loss);
        AssertGradient("dup", up, dup, Loss);
    }

    [Fact]
    public void ForwardMatchesInferenceKernel()
    {
        var rng = new Random(2);
        var gate = RandomValues(rng, 301, 4f);
        var up = RandomValues(rng, 301);
        var y = new float[301];
        new SwiGluLayer().Forward(gate, up, y);
        var expected = (float[])gate.Clone();
        SwiGlu.Forward(expected, up);
        AssertClose(expected, y, ForwardTolerance);
    }
}
