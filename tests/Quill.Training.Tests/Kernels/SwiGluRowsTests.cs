// SwiGluRows against its scalar reference on odd and round lengths, threaded and not.
using Quill.Tensors.Threading;
using Quill.Training.Kernels;

namespace Quill.Training.Tests.Kernels;

public sealed class SwiGluRowsTests
{
    /// <summary>TensorPrimitives.Sigmoid may differ from 1/(1+e^−x) in the last bits.</summary>
    private const float Tolerance = 1e-5f;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(256)]
    [InlineData(4097)]
    [InlineData(20000)]
    public void MatchesReference(int n)
    {
        var rng = new Random(n);
        float[] Values() => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 8 - 4)).ToArray();
        var (g, u, dy) = (Values(), Values(), Values());
        var (s, y, dg, du) = (new float[n], new float[n], new float[n], new float[n]);
        using var pool = new ComputePool(2);
        SwiGluRows.Forward(g, u, s, y, pool);
        SwiGluRows.Backward(g, u, s, dy, dg, du, pool);
        var (dg1, du1) = (new float[n], new float[n]);
        SwiGluRows.Backward(g, u, s, dy, dg1, du1, null);
        Assert.Equal(dg1, dg);
        Assert.Equal(du1, du);
        for (int i = 0; i < n; i++)
        {
            float sig = 1f / (1f + MathF.Exp(-g[i]));
            Assert.InRange(y[i] - g[i] * sig * u[i], -Tolerance, Tolerance);
            var (eg, eu) = SwiGluRows.BackwardReference(g[i], u[i], dy[i]);
            Assert.InRange(dg[i] - eg, -Tolerance, Tolerance);
            Assert.InRange(du[i] - eu, -Tolerance, Tolerance);
        }
    }
}
