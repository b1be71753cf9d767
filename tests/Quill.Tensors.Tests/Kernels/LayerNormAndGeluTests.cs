// LayerNorm and GELU against their scalar references on odd and round sizes, and a few values worked out by hand.
using Quill.Tensors.Kernels;

namespace Quill.Tensors.Tests.Kernels;

public class LayerNormAndGeluTests
{
    // Float summation order of the vectorised mean and variance against the double-accumulated reference.
    private const float NormTolerance = 2e-5f;
    // TensorPrimitives' vectorised tanh against MathF.Tanh.
    private const float TanhTolerance = 1e-5f;
    // gelu through F16 rounding against the exact formula: F16 keeps 11 significant bits (input and output rounded).
    private const float HalfRoundingTolerance = 2e-3f;

    public static TheoryData<int> Sizes => new() { 0, 1, 2, 31, 33, 64, 256, 257, 4097 };

    private static float[] Random(int n, int seed, float scale = 1f, float offset = 0f)
    {
        var r = new Random(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = offset + (float)(r.NextDouble() * 2 - 1) * scale;
        return v;
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        float scale = 1e-6f;
        foreach (var e in expected) scale = Math.Max(scale, Math.Abs(e));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * scale, $"index {i}: expected {expected[i]}, got {actual[i]}");
    }

    [Theory, MemberData(nameof(Sizes))]
    public void LayerNormMatchesReference(int n)
    {
        var x = Random(n, 1, 3f, offset: 0.7f);
        var w = Random(n, 2);
        var b = Random(n, 3);
        var expected = new float[n];
        var actual = new float[n];
        LayerNorm.Reference(x, w, b, 1e-5f, expected);
        LayerNorm.Forward(x, w, b, 1e-5f, actual);
        AssertClose(expected, actual, NormTolerance);
    }

    [Fact]
    public void LayerNormInPlaceEqualsOutOfPlace()
    {
        var x = Random(33, 4, 2f);
        var w = Random(33, 5);
        var b = Random(33, 6);
        var expected = new float[33];
        LayerNorm.Forward(x, w, b, 1e-5f, expected);
        LayerNorm.Forward(x, w, b, 1e-5f, x);
        Assert.Equal(expected, x);
    }

    [Fact]
    public void LayerNormByHand()
    {
        // x = (1, 3): mean 2, variance 1 → normalised (−1, 1); then ·(2, 3) + (10, 20).
        var y = new float[2];
        LayerNorm.Forward([1f, 3f], [2f, 3f], [10f, 20f], 0f, y);
        AssertClose([8f, 23f], y, 1e-6f);
    }

    [Theory, MemberData(nameof(Sizes))]
    public void GeluMatchesReference(int n)
    {
        var expected = Random(n, 7, 6f);
        var actual = (float[])expected.Clone();
        GeluTanh.Reference(expected);
        GeluTanh.Forward(actual);
        AssertClose(expected, actual, TanhTolerance);
    }

    [Theory, MemberData(nameof(Sizes))]
    public void RoundedGeluEqualsItsReferenceBitForBit(int n)
    {
        var expected = Random(n, 8, 14f);
        var actual = (float[])expected.Clone();
        GeluTanh.RoundedReference(expected);
        GeluTanh.ForwardRounded(actual);
        Assert.Equal(expected, actual);
    }

    [Theory, MemberData(nameof(Sizes))]
    public void RoundedGeluStaysNearTheFormula(int n)
    {
        var exact = Random(n, 9, 5f);
        var rounded = (float[])exact.Clone();
        GeluTanh.Reference(exact);
        GeluTanh.ForwardRounded(rounded);
        AssertClose(exact, rounded, HalfRoundingTolerance);
    }

    [Theory]
    [InlineData(0f, 0f)]
    [InlineData(-10f, 0f)]
    [InlineData(-25f, 0f)]
    [InlineData(10f, 10f)]
    [InlineData(12.345f, 12.345f)]
    [InlineData(1f, 0.841192f)]    // 0.5·(1 + tanh(0.797885·1.044715))
    [InlineData(-1f, -0.158808f)]
    public void RoundedGeluByHand(float x, float expected)
    {
        var v = new[] { x };
        GeluTanh.ForwardRounded(v);
        Assert.Equal(expected, v[0], expected == x || expected == 0 ? 0f : 1e-3f);
    }
}
