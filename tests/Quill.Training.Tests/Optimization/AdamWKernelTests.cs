// AdamWKernel: the vector paths give the same bits as the scalar Reference on odd and round lengths.
using Quill.Training.Optimization;

namespace Quill.Training.Tests.Optimization;

public class AdamWKernelTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(256)]
    [InlineData(4097)]
    public void UpdateIsBitwiseEqualToReference(int n)
    {
        var rng = new Random(n + 1);
        float[] Values(float scale) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale).ToArray();
        var p = Values(1f); var g = Values(0.1f); var m = Values(0.01f);
        var v = Values(1e-4f).Select(MathF.Abs).ToArray();
        var (p2, m2, v2) = ((float[])p.Clone(), (float[])m.Clone(), (float[])v.Clone());
        var c = new AdamWKernel.Coefficients(3e-4f, 1f - 3e-4f * 0.1f, 0.9f, 0.999f, 1e-8f, 1f / (1f - 0.9f * 0.9f * 0.9f), 1f / (1f - MathF.Pow(0.999f, 3)));
        for (int step = 0; step < 3; step++)
        {
            AdamWKernel.Update(p, g, m, v, c);
            AdamWKernel.UpdateReference(p2, g, m2, v2, c);
        }
        Assert.Equal(p2, p);
        Assert.Equal(m2, m);
        Assert.Equal(v2, v);
    }

    [Fact]
    public void MismatchedLengthsAreRejected()
    {
        var c = new AdamWKernel.Coefficients(1e-3f, 1f, 0.9f, 0.999f, 1e-8f, 1f, 1f);
        Assert.Throws<ArgumentException>(() => AdamWKernel.Update(new float[4], new float[3], new float[4], new float[4], c));
    }
}
