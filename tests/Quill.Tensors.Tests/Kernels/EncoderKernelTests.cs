// The encoder kernels against their scalar references on odd and round sizes, and the batch-invariance of the matmul.
using Quill.Tensors.Kernels;
using Quill.Tensors.Threading;

namespace Quill.Tensors.Tests.Kernels;

public sealed unsafe class EncoderKernelTests
{
    private const float MatMulTolerance = 1e-4f;   // relative to Σ|x·w|, float vs double accumulation
    private const float AttentionTolerance = 1e-5f;
    private const float LayerNormTolerance = 1e-5f;
    private const float GeluTolerance = 2e-7f;     // absolute, the erf approximation's error bound plus rounding

    private static float[] Random(int n, int seed, float scale = 1)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1) * scale;
        return a;
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 31, 5)]
    [InlineData(4, 33, 4)]
    [InlineData(5, 256, 7)]
    [InlineData(67, 384, 33)]
    [InlineData(9, 4097, 6)]
    [InlineData(12, 31, 32)]
    [InlineData(31, 33, 65)]
    public void MatMulMatchesReference(int tokens, int k, int n)
    {
        float[] x = Random(tokens * k, 1), w = Random(n * k, 2), b = Random(n, 3), y = new float[tokens * n], expected = new float[tokens * n];
        using var pool = new ComputePool(3);
        using var matmul = new PackedMatMul(pool);
        using var packed = new PackedLinear(w, n, k);
        fixed (float* px = x, pb = b, py = y) matmul.Multiply(px, tokens, packed, pb, py);
        PackedMatMul.Reference(x, tokens, k, w, n, b, expected);
        for (int i = 0; i < y.Length; i++) Assert.True(MathF.Abs(y[i] - expected[i]) <= MatMulTolerance * k, $"[{i}] {y[i]} vs {expected[i]}");
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(9, 31, 33)]
    [InlineData(17, 384, 64)]
    [InlineData(8, 33, 4097)]
    public void MatMulWithGeluMatchesReferenceThenGelu(int tokens, int k, int n)
    {
        float[] x = Random(tokens * k, 13), w = Random(n * k, 14), b = Random(n, 15), y = new float[tokens * n], expected = new float[tokens * n];
        using var pool = new ComputePool(2);
        using var matmul = new PackedMatMul(pool);
        using var packed = new PackedLinear(w, n, k);
        fixed (float* px = x, pb = b, py = y) matmul.Multiply(px, tokens, packed, pb, py, applyGelu: true);
        PackedMatMul.Reference(x, tokens, k, w, n, b, expected);
        for (int i = 0; i < y.Length; i++)
        {
            float want = GeluErf.Reference(expected[i]);
            Assert.True(MathF.Abs(y[i] - want) <= MatMulTolerance * k + GeluTolerance * MathF.Max(1, MathF.Abs(want)), $"[{i}] {y[i]} vs {want}");
        }
    }

    [Theory]
    [InlineData(1, 32)]
    [InlineData(31, 64)]
    [InlineData(37, 32)]
    public void MatMulBlockMajorOutputIsTheRowMajorOneRearranged(int tokens, int blockWidth)
    {
        const int k = 33, n = 128;
        float[] x = Random(tokens * k, 19), w = Random(n * k, 20), b = Random(n, 21), rows = new float[tokens * n], blocks = new float[tokens * n];
        using var pool = new ComputePool(2);
        using var matmul = new PackedMatMul(pool);
        using var packed = new PackedLinear(w, n, k);
        fixed (float* px = x, pb = b, pr = rows, pk = blocks)
        {
            matmul.Multiply(px, tokens, packed, pb, pr);
            matmul.Multiply(px, tokens, packed, pb, pk, blockWidth: blockWidth);
        }
        for (int t = 0; t < tokens; t++)
            for (int j = 0; j < n; j++)
                Assert.Equal(rows[t * n + j], blocks[j / blockWidth * tokens * blockWidth + t * blockWidth + j % blockWidth]);
    }

    [Fact]
    public void MatMulRowsDoNotDependOnTheirBatch()
    {
        const int tokens = 31, k = 97, n = 40;   // two full 12-token tiles, then 4 + 3
        float[] x = Random(tokens * k, 4), w = Random(n * k, 5), all = new float[tokens * n], one = new float[n];
        using var pool = new ComputePool(2);
        using var matmul = new PackedMatMul(pool);
        using var packed = new PackedLinear(w, n, k);
        fixed (float* px = x, pa = all, po = one)
        {
            matmul.Multiply(px, tokens, packed, null, pa, applyGelu: true);
            for (int t = 0; t < tokens; t++)
            {
                matmul.Multiply(px + t * k, 1, packed, null, po, applyGelu: true);
                Assert.Equal(all.AsSpan(t * n, n).ToArray(), one);
            }
        }
    }

    private static readonly int[] SequenceLengths = [1, 31, 33, 8, 64, 129];

    [Theory]
    [InlineData(1, 1, 8)]
    [InlineData(2, 4, 32)]
    [InlineData(3, 3, 7)]
    [InlineData(5, 2, 33)]
    [InlineData(6, 12, 32)]
    public void AttentionMatchesReferencePerSequence(int sequences, int heads, int headSize)
    {
        int[] lengths = Enumerable.Range(0, sequences).Select(s => s < SequenceLengths.Length ? SequenceLengths[s] : 1 + s * 17 % 40).ToArray();
        int[] starts = new int[sequences];
        for (int s = 1; s < sequences; s++) starts[s] = starts[s - 1] + lengths[s - 1];
        int total = lengths.Sum(), c = heads * headSize;
        float[] q = Random(total * c, 6), k = Random(total * c, 7), v = Random(total * c, 8), output = new float[total * c], expected = new float[total * c];
        using var pool = new ComputePool(2);
        var attention = new BidirectionalAttention(pool, heads, headSize);
        fixed (float* pq = q, pk = k, pv = v, po = output) attention.Forward(pq, pk, pv, po, starts, lengths, sequences);
        for (int s = 0; s < sequences; s++)
            for (int h = 0; h < heads; h++)
            {
                var range = new Range(starts[s] * c, (starts[s] + lengths[s]) * c);
                BidirectionalAttention.Reference(q.AsSpan(range), k.AsSpan(range), v.AsSpan(range), expected.AsSpan(range), lengths[s], c, h * headSize,
                    headSize);
            }
        for (int i = 0; i < output.Length; i++) Assert.True(MathF.Abs(output[i] - expected[i]) <= AttentionTolerance, $"[{i}] {output[i]} vs {expected[i]}");
    }

    [Fact]
    public void AttentionOverOneStackedProjectionEqualsSeparateBuffers()
    {
        const int heads = 3, headSize = 11, c = heads * headSize;
        int[] lengths = [5, 33, 1], starts = [0, 5, 38];
        int total = lengths.Sum();
        float[] q = Random(total * c, 16), k = Random(total * c, 17), v = Random(total * c, 18), stacked = new float[total * 3 * c];
        for (int t = 0; t < total; t++)
        {
            q.AsSpan(t * c, c).CopyTo(stacked.AsSpan(t * 3 * c));
            k.AsSpan(t * c, c).CopyTo(stacked.AsSpan(t * 3 * c + c));
            v.AsSpan(t * c, c).CopyTo(stacked.AsSpan(t * 3 * c + 2 * c));
        }
        float[] separate = new float[total * c], strided = new float[total * c];
        using var pool = new ComputePool(2);
        var attention = new BidirectionalAttention(pool, heads, headSize);
        fixed (float* pq = q, pk = k, pv = v, ps = stacked, o1 = separate, o2 = strided)
        {
            attention.Forward(pq, pk, pv, o1, starts, lengths, lengths.Length);
            attention.Forward(ps, ps + c, ps + 2 * c, 3 * c, o2, starts, lengths, lengths.Length);
        }
        Assert.Equal(separate, strided);
    }

    [Fact]
    public void AttentionOverHeadMajorBlocksEqualsRowMajor()
    {
        const int heads = 2, headSize = 32, c = heads * headSize;
        int[] lengths = [3, 40, 9], starts = [0, 3, 43];
        int total = lengths.Sum();
        float[] q = Random(total * c, 22), k = Random(total * c, 23), v = Random(total * c, 24);
        float[][] blocks = [new float[total * c], new float[total * c], new float[total * c]];
        float[][] sources = [q, k, v];
        for (int m = 0; m < 3; m++)
            for (int t = 0; t < total; t++)
                for (int h = 0; h < heads; h++)
                    sources[m].AsSpan(t * c + h * headSize, headSize).CopyTo(blocks[m].AsSpan(h * total * headSize + t * headSize));
        float[] rowMajor = new float[total * c], headMajor = new float[total * c];
        using var pool = new ComputePool(2);
        var attention = new BidirectionalAttention(pool, heads, headSize);
        fixed (float* pq = q, pk = k, pv = v, bq = blocks[0], bk = blocks[1], bv = blocks[2], o1 = rowMajor, o2 = headMajor)
        {
            attention.Forward(pq, pk, pv, o1, starts, lengths, lengths.Length);
            attention.Forward(bq, bk, bv, headSize, (long)total * headSize, o2, starts, lengths, lengths.Length);
        }
        Assert.Equal(rowMajor, headMajor);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(384)]
    [InlineData(4097)]
    public void LayerNormMatchesReference(int c)
    {
        float[] x = Random(c, 9, 3), g = Random(c, 10), b = Random(c, 11), y = new float[c], expected = new float[c];
        Quill.Tensors.Kernels.LayerNorm.Forward(x, g, b, 1e-12f, y); // the shared kernel, at BERT's epsilon
        Quill.Tensors.Kernels.LayerNorm.Reference(x, g, b, 1e-12f, expected);
        for (int i = 0; i < c; i++) Assert.True(MathF.Abs(y[i] - expected[i]) <= LayerNormTolerance, $"[{i}] {y[i]} vs {expected[i]}");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(256)]
    [InlineData(4097)]
    public void GeluMatchesTheErfForm(int n)
    {
        float[] x = Random(n, 12, 6);
        float[] y = (float[])x.Clone();
        GeluErf.Forward(y);
        for (int i = 0; i < n; i++)
        {
            Assert.True(MathF.Abs(y[i] - GeluErf.Reference(x[i])) <= GeluTolerance * MathF.Max(1, MathF.Abs(x[i])),
                $"gelu({x[i]}) = {y[i]}, expected {GeluErf.Reference(x[i])}");
            Assert.Equal(GeluErf.Scalar(x[i]), y[i], GeluTolerance * MathF.Max(1, MathF.Abs(x[i])));
        }
    }

    [Fact]
    public void GeluDerivativeMatchesReferenceAndSlope()
    {
        foreach (float x in Random(4097, 14, 8).Append(0f).Append(-0f).Append(30f).Append(-30f))
        {
            double want = GeluErf.DerivativeReference(x);
            Assert.True(Math.Abs(GeluErf.Derivative(x) - want) <= 1e-6, $"gelu'({x}) = {GeluErf.Derivative(x)}, expected {want}");
            // The reference is GELU's slope: a central difference of the double-precision GELU agrees.
            const double h = 1e-4;
            double slope = (Gelu(x + h) - Gelu(x - h)) / (2 * h);
            Assert.True(Math.Abs(slope - want) <= 1e-7, $"slope at {x}: {slope} vs {want}");
        }

        static double Gelu(double x) => x * 0.5 * (1 + GeluErf.Erf(x / Math.Sqrt(2)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(4097)]
    public void GeluBackwardLanesMatchTheScalarSlope(int n)
    {
        float[] x = Random(n, 15, 8), dy = Random(n, 16), dx = new float[n];
        GeluErf.Backward(x, dy, dx);
        for (int i = 0; i < n; i++)
        {
            float want = dy[i] * GeluErf.Derivative(x[i]);
            Assert.True(MathF.Abs(dx[i] - want) <= 1e-6f * MathF.Max(1, MathF.Abs(want)), $"[{i}] gelu'({x[i]})·{dy[i]} = {dx[i]}, expected {want}");
        }
        Assert.Throws<ArgumentException>(() => GeluErf.Backward(x, dy.AsSpan(0, n - 1), dx));
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(-2.0, -0.9953222650189527)]
    [InlineData(3.5, 0.9999992569016276)]
    public void ReferenceErfMatchesTables(double x, double expected) => Assert.Equal(expected, GeluErf.Erf(x), 1e-13);
}
