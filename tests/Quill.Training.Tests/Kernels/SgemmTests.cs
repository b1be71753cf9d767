// Sgemm against its scalar reference on odd and round shapes, bf16 operands, and bit-identical threaded runs.
using Quill.Tensors.Threading;
using Quill.Training.Kernels;

namespace Quill.Training.Tests.Kernels;

public sealed class SgemmTests
{
    /// <summary>Relative to Σ|a·b| of the dot: blocked summation reorders float additions.</summary>
    private const float RelativeTolerance = 1e-5f;

    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 1, 33, 31 }, { 31, 1, 33 }, { 33, 31, 1 }, { 8, 32, 256 }, { 16, 64, 257 },
        { 31, 33, 4097 }, { 64, 96, 300 }, { 200, 70, 513 }, { 9, 2050, 17 },
    };

    [Theory, MemberData(nameof(Shapes))]
    public void MultiplyTransposedMatchesReference(int m, int n, int k)
    {
        var (a, b) = (Random(m * k, 1), Random(n * k, 2));
        var c = new float[m * n];
        Sgemm.MultiplyTransposed(a, b, c, m, n, k, null);
        var expected = new float[m * n];
        Sgemm.Reference(a, k, 1, b, 1, k, expected, m, n, k, accumulate: false);
        AssertClose(expected, c, Scale(a, k, 1, b, 1, k, m, n, k));
    }

    [Theory, MemberData(nameof(Shapes))]
    public void MultiplyMatchesReference(int m, int n, int k)
    {
        var (a, b) = (Random(m * k, 3), Random(k * n, 4));
        var c = new float[m * n];
        Sgemm.Multiply(a, b, c, m, n, k, null);
        var expected = new float[m * n];
        Sgemm.Reference(a, k, 1, b, n, 1, expected, m, n, k, accumulate: false);
        AssertClose(expected, c, Scale(a, k, 1, b, n, 1, m, n, k));
    }

    [Theory, MemberData(nameof(Shapes))]
    public void AddTransposedMultiplyMatchesReference(int m, int n, int k)
    {
        var (a, b) = (Random(k * m, 5), Random(k * n, 6));
        var c = Random(m * n, 7);
        var expected = (float[])c.Clone();
        Sgemm.AddTransposedMultiply(a, b, c, m, n, k, null);
        Sgemm.Reference(a, 1, m, b, n, 1, expected, m, n, k, accumulate: true);
        AssertClose(expected, c, Scale(a, 1, m, b, n, 1, m, n, k));
    }

    /// <summary>
    /// The AVX2 (4×16 quarters) and scalar tile kernels give the AVX-512 tile's bits, so a machine without AVX-512
    /// trains to the same weights. Other tests running meanwhile see the forced width too, which is harmless for the
    /// same reason.
    /// </summary>
    [Theory, MemberData(nameof(Shapes))]
    public void EveryTileWidthGivesTheSameBits(int m, int n, int k)
    {
        var (a, b) = (Random(m * k, 11), Random(n * k, 12));
        var results = new List<float[]>();
        try
        {
            foreach (int? bits in (int?[])[512, 256, 0])
            {
                Sgemm.ForcedVectorBits = bits;
                var c = Random(m * n, 13);
                Sgemm.MultiplyTransposed(a, b, c, m, n, k, null);
                Sgemm.AddTransposedMultiply(a, b, c, m, n, k, null); // a as (k, m), b as (k, n)
                results.Add(c);
            }
        }
        finally
        {
            Sgemm.ForcedVectorBits = null;
        }
        Assert.Equal(results[0], results[1]);
        Assert.Equal(results[0], results[2]);
    }

    [Theory]
    [InlineData(33, 70, 300)]
    [InlineData(200, 64, 513)]
    public void Bf16OperandsMatchTheirWidenedF32(int m, int n, int k)
    {
        var a = Random(m * k, 8);
        var b = Random(n * k, 9);
        var b16 = new ushort[b.Length];
        BFloat16.Round(b, b16);
        var bWide = new float[b.Length];
        BFloat16.Widen(b16, bWide);
        var c = new float[m * n];
        var expected = new float[m * n];
        Sgemm.MultiplyTransposed(a, b16, c, m, n, k, null);
        Sgemm.MultiplyTransposed(a, bWide, expected, m, n, k, null);
        Assert.Equal(expected, c);

        var bk = new ushort[k * n];
        BFloat16.Round(Random(k * n, 10), bk);
        var bkWide = new float[bk.Length];
        BFloat16.Widen(bk, bkWide);
        Sgemm.Multiply(a, bk, c, m, n, k, null);
        Sgemm.Multiply(a, bkWide, expected, m, n, k, null);
        Assert.Equal(expected, c);

        var at = Random(k * m, 11);
        Array.Clear(c);
        Array.Clear(expected);
        Sgemm.AddTransposedMultiply(at, bk, c, m, n, k, null);
        Sgemm.AddTransposedMultiply(at, bkWide, expected, m, n, k, null);
        Assert.Equal(expected, c);
    }

    [Fact]
    public void ThreadedRunsAreBitIdenticalToSingleThreaded()
    {
        const int m = 300, n = 2100, k = 600;
        var a = Random(m * k, 12);
        var b = Random(n * k, 13);
        var single = new float[m * n];
        Sgemm.MultiplyTransposed(a, b, single, m, n, k, null);
        using var pool = new ComputePool(3);
        for (int run = 0; run < 3; run++)
        {
            var threaded = new float[m * n];
            Sgemm.MultiplyTransposed(a, b, threaded, m, n, k, pool);
            Assert.Equal(single, threaded);
        }
        var dw = Random(k * n, 14);
        var dwThreaded = (float[])dw.Clone();
        var x = Random(m * k, 15);
        Sgemm.AddTransposedMultiply(x, a, dw, k, k, m, null);
        Sgemm.AddTransposedMultiply(x, a, dwThreaded, k, k, m, pool);
        Assert.Equal(dw, dwThreaded);
    }

    [Theory]
    [InlineData(1f, (ushort)0x3F80)]
    [InlineData(-2f, (ushort)0xC000)]
    [InlineData(1.00390625f, (ushort)0x3F80)]   // exactly half an ulp above 1: ties to even (down)
    [InlineData(1.01171875f, (ushort)0x3F82)]   // half an ulp above 0x3F81: ties to even (up)
    [InlineData(float.PositiveInfinity, (ushort)0x7F80)]
    public void RoundsToNearestEven(float value, ushort expected) => Assert.Equal(expected, BFloat16.RoundReference(value));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(4097)]
    public void VectorRoundMatchesReference(int length)
    {
        var x = Random(length, 16);
        if (length > 3) { x[1] = float.NaN; x[2] = 1.00390625f; x[3] = -0f; }
        var rounded = new ushort[length];
        BFloat16.Round(x, rounded);
        for (int i = 0; i < length; i++) Assert.Equal(BFloat16.RoundReference(x[i]), rounded[i]);
    }

    private static float[] Scale(float[] a, int aRow, int aCol, float[] b, int bRow, int bCol, int m, int n, int k)
    {
        var abs = new float[m * n];
        var aa = a.Select(MathF.Abs).ToArray();
        var bb = b.Select(MathF.Abs).ToArray();
        Sgemm.Reference(aa, aRow, aCol, bb, bRow, bCol, abs, m, n, k, accumulate: false);
        return abs;
    }

    private static void AssertClose(float[] expected, float[] actual, float[] scale)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= RelativeTolerance * (scale[i] + 1e-3f), $"element {i}: {expected[i]} vs {actual[i]}");
    }

    private static float[] Random(int length, int seed)
    {
        var rng = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)(rng.NextDouble() * 2 - 1);
        return values;
    }
}
