// PolynomialExp's vector and scalar paths against e^x in double, on odd and round lengths and at the clamp edges.
using Quill.Tensors.Kernels;

namespace Quill.Tensors.Tests.Kernels;

public sealed class PolynomialExpTests
{
    private const float RelativeTolerance = 3e-7f;   // about 2.5 ulp

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(256)]
    [InlineData(4097)]
    public void ForwardMatchesReference(int n)
    {
        var r = new Random(n);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(r.NextDouble() * 175 - 87);
        float[] y = (float[])x.Clone();
        PolynomialExp.Forward(y);
        for (int i = 0; i < n; i++)
        {
            float expected = PolynomialExp.Reference(x[i]);
            Assert.True(MathF.Abs(y[i] - expected) <= RelativeTolerance * expected, $"exp({x[i]}) = {y[i]}, expected {expected}");
            Assert.Equal(PolynomialExp.Scalar(x[i]), y[i]);
        }
    }

    [Theory]
    [InlineData(0f, 1f)]
    [InlineData(1f, 2.7182817f)]
    [InlineData(-1f, 0.36787945f)]
    [InlineData(-0.34657359f, 0.70710677f)]
    [InlineData(-200f, 1.2192434e-38f)]   // clamped to −87.3
    public void ScalarMatchesTable(float x, float expected) =>
        Assert.True(MathF.Abs(PolynomialExp.Scalar(x) - expected) <= RelativeTolerance * expected + 1e-43f, $"exp({x}) = {PolynomialExp.Scalar(x)}");
}
