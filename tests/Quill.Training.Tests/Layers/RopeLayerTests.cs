// RoPE: the inverse rotation against finite differences in both layouts, forward against the inference kernel.
using Quill.Tensors.Kernels;
using Quill.Training.Layers;
using static Quill.Training.Tests.FiniteDifference;

namespace Quill.Training.Tests.Layers;

public class RopeLayerTests
{
    private const float ForwardTolerance = 1e-5f;

    [Theory]
    [InlineData(RopeLayout.Normal, 6, 6)]
    [InlineData(RopeLayout.Normal, 8, 4)]
    [InlineData(RopeLayout.NeoX, 6, 6)]
    [InlineData(RopeLayout.NeoX, 8, 4)]
    public void GradientMatchesFiniteDifferences(RopeLayout layout, int headSize, int rotaryDims)
    {
        var rng = new Random(headSize + rotaryDims);
        const int heads = 3;
        int[] positions = [0, 1, 2, 3, 4, 0, 1, 2, 9];
        var layer = new RopeLayer(layout, headSize, rotaryDims, 10000f, 1f, 16);
        var x = RandomValues(rng, positions.Length * heads * headSize);
        var r = RandomValues(rng, x.Length);
        var y = new float[x.Length];
        var dx = new float[x.Length];
        layer.Forward(x, positions, y);
        layer.Backward(r, dx);
        AssertGradient("dx", x, dx, () => { layer.Forward(x, positions, y); return Project(r, y); });
    }

    [Theory]
    [InlineData(RopeLayout.Normal)]
    [InlineData(RopeLayout.NeoX)]
    public void ForwardMatchesInferenceKernel(RopeLayout layout)
    {
        var rng = new Random(4);
        const int heads = 2, headSize = 8, rotaryDims = 6;
        int[] positions = [0, 5, 17, 3];
        var layer = new RopeLayer(layout, headSize, rotaryDims, 500000f, 0.5f, 32);
        var x = RandomValues(rng, positions.Length * heads * headSize);
        var y = new float[x.Length];
        layer.Forward(x, positions, y);
        var expected = (float[])x.Clone();
        var kernel = new Rope(layout, headSize, rotaryDims, 500000f, 0.5f);
        var cosSin = new float[rotaryDims];
        for (int t = 0; t < positions.Length; t++)
        {
            kernel.Angles(positions[t], cosSin);
            kernel.Apply(expected.AsSpan(t * heads * headSize, heads * headSize), cosSin);
        }
        AssertClose(expected, y, ForwardTolerance);
    }
}
