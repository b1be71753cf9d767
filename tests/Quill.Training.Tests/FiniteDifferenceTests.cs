// The gradient checker itself: it accepts a right gradient and rejects one that is 2% off.
using Quill.Training.Layers;
using Xunit.Sdk;
using static Quill.Training.Tests.FiniteDifference;

namespace Quill.Training.Tests;

public class FiniteDifferenceTests
{
    [Theory]
    [InlineData(1.0f, true)]
    [InlineData(1.02f, false)]
    [InlineData(0.98f, false)]
    public void RejectsAScaledGradient(float factor, bool accepted)
    {
        var rng = new Random(9);
        var layer = new Linear(5, 3);
        RandomValues(rng, layer.Weight.Length).CopyTo(layer.Weight, 0);
        var x = RandomValues(rng, 4 * 5);
        var r = RandomValues(rng, 4 * 3);
        var y = new float[r.Length];
        var dx = new float[x.Length];
        layer.Forward(x, y);
        layer.Backward(r, dx);
        for (int i = 0; i < dx.Length; i++) dx[i] *= factor;
        void Check() => AssertGradient("dx", x, dx, () => { layer.Forward(x, y); return Project(r, y); });
        if (accepted) Check();
        else Assert.Throws<TrueException>(Check);
    }
}
