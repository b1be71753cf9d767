// Each float kernel against its scalar Reference on odd and round sizes.
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Kernels;
using Quill.Tensors.Simd;
using Quill.Tensors.Threading;

namespace Quill.Tensors.Tests.Kernels;

public class KernelTests
{
    private const float RelativeTolerance = 1e-5f;
    public static TheoryData<int> Sizes => new() { 1, 2, 31, 33, 64, 256, 4097 };

    private static float[] Random(int n, int seed, float scale = 1f)
    {
        var r = new Random(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(r.NextDouble() * 2 - 1) * scale;
        return v;
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance = RelativeTolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        float scale = 1e-6f;
        foreach (var e in expected) scale = Math.Max(scale, Math.Abs(e));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * scale, $"index {i}: expected {expected[i]}, got {actual[i]}");
    }

    [Theory, MemberData(nameof(Sizes))]
    public void RmsNormIsTheReferenceBitForBit(int n)
    {
        // Twenty rows with values over three orders of magnitude: a float sum of squares in another order than ggml's
        // double one moves the scale by an ulp in some of them (with TensorPrimitives.SumOfSquares, 31, 33, 256 and 4097 fail).
        for (int seed = 0; seed < 20; seed++)
        {
            var x = Random(n, 100 + seed, 3f);
            for (int i = 0; i < n; i += 3) x[i] *= 1e-3f;
            var w = Random(n, 200 + seed);
            var expected = new float[n];
            var actual = new float[n];
            RmsNorm.Reference(x, w, 1e-5f, expected);
            RmsNorm.Forward(x, w, 1e-5f, actual);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void RmsNormOfConstantIsTheWeight()
    {
        var x = new float[] { 2, 2, 2, 2 };
        var w = new float[] { 1, 2, 3, 4 };
        var y = new float[4];
        RmsNorm.Forward(x, w, 0f, y);
        AssertClose(w, y);
    }

    [Theory, MemberData(nameof(Sizes))]
    public void SwiGluMatchesReference(int n)
    {
        var gate = Random(n, 3, 6f);
        var up = Random(n, 4);
        var expected = (float[])gate.Clone();
        SwiGlu.Reference(expected, up);
        SwiGlu.Forward(gate, up);
        Assert.Equal(expected, gate);
    }

    [Theory]
    [InlineData(RopeLayout.Normal)]
    [InlineData(RopeLayout.NeoX)]
    public void RopeAtPositionZeroIsIdentityAndPreservesNorms(RopeLayout layout)
    {
        var rope = new Rope(layout, headSize: 8, rotaryDims: 8, freqBase: 10000f, freqScale: 1f);
        var angles = new float[8];
        var x = Random(16, 5);
        var y = (float[])x.Clone();
        rope.Angles(0, angles);
        rope.Apply(y, angles);
        AssertClose(x, y);
        rope.Angles(7, angles);
        rope.Apply(y, angles);
        // rotation keeps each rotated pair's length
        for (int i = 0; i < 4; i++)
        {
            int a = layout == RopeLayout.Normal ? 2 * i : i, b = layout == RopeLayout.Normal ? 2 * i + 1 : i + 4;
            Assert.Equal(x[a] * x[a] + x[b] * x[b], y[a] * y[a] + y[b] * y[b], 4);
        }
    }

    [Fact]
    public void RopeNormalRotatesFirstPairByPosition()
    {
        var rope = new Rope(RopeLayout.Normal, headSize: 4, rotaryDims: 4, freqBase: 10000f, freqScale: 0.5f);
        var angles = new float[4];
        rope.Angles(3, angles);
        var x = new float[] { 1, 0, 1, 0 };
        rope.Apply(x, angles);
        // pair 0 turns by 3·0.5 = 1.5 rad; pair 1 by 1.5·10000^(-1/2) = 0.015 rad
        Assert.Equal(MathF.Cos(1.5f), x[0], 6);
        Assert.Equal(MathF.Sin(1.5f), x[1], 6);
        Assert.Equal(MathF.Cos(0.015f), x[2], 5);
        Assert.Equal(MathF.Sin(0.015f), x[3], 5);
    }

    [Theory]
    [InlineData(1, 1, 1, 8, 0)]
    [InlineData(3, 4, 4, 16, 0)]
    [InlineData(5, 8, 2, 16, 0)]
    [InlineData(7, 8, 1, 32, 0)]
    [InlineData(9, 4, 2, 8, 3)]
    public void CausalAttentionMatchesReference(int tokens, int heads, int kvHeads, int headSize, int window)
    {
        int start = 2;
        int kvStride = kvHeads * headSize;
        var (q, keys, values, actual) = Attend(tokens, heads, kvHeads, headSize, start, window, seed: 6);
        var expected = new float[headSize];
        for (int t = 0; t < tokens; t++)
            for (int h = 0; h < heads; h++)
            {
                CausalAttention.Reference(q.AsSpan((t * heads + h) * headSize, headSize), keys, values, expected,
                    start + t, window, kvStride, h / (heads / kvHeads) * headSize, headSize);
                AssertClose(expected, actual.AsSpan((t * heads + h) * headSize, headSize), 1e-5f);
            }
    }

    [Theory]
    [InlineData(1, 4, 4, 16, 0, 0)]
    [InlineData(5, 8, 2, 64, 40, 0)]
    [InlineData(3, 8, 1, 80, 17, 0)]
    [InlineData(2, 4, 2, 32, 300, 0)]
    [InlineData(4, 4, 4, 16, 60, 23)]
    public unsafe void CausalAttentionOverF32TakesLlamaCppsOrderBitForBit(int tokens, int heads, int kvHeads, int headSize, int start, int window)
    {
        // llama.cpp's order with AVX-512 over an F32 cache (ggml_vec_dot_f32 for q·k, ggml's softmax, tinyBLAS for the weighted
        // values), emulated one value at a time: score = four 16-lane FMA chains over whole 64-element steps, added
        // (a0 + a2) + (a1 + a3), the halving sum, then the rest one unfused multiply and add at a time, times the scale; softmax
        // as GgmlSoftmax.Reference with cells aligned from the window's first; each output a halving sum of 16 lanes, lane l an
        // FMA chain over the rows j (from the first) with (first + j) mod 16 = l.
        if (!Avx512F.IsSupported || !Avx512BW.IsSupported) return;
        int kvStride = kvHeads * headSize;
        var (q, keys, values, actual) = Attend(tokens, heads, kvHeads, headSize, start, window, seed: 16);
        float scale = 1.0f / MathF.Sqrt(headSize);
        var lanes = new float[16];
        for (int t = 0; t < tokens; t++)
            for (int h = 0; h < heads; h++)
            {
                int position = start + t, first = window > 0 ? Math.Max(0, position - window + 1) : 0, n = position + 1 - first;
                int kvOffset = h / (heads / kvHeads) * headSize;
                var p = new float[n];
                int whole = headSize & ~63;
                var steps = new float[64];
                for (int j = 0; j < n; j++)
                {
                    float Key(int c) => keys[(first + j) * kvStride + kvOffset + c];
                    float Query(int c) => q[(t * heads + h) * headSize + c];
                    Array.Clear(steps);
                    for (int c = 0; c < whole; c++) steps[c % 64] = MathF.FusedMultiplyAdd(Key(c), Query(c), steps[c % 64]);
                    for (int l = 0; l < 16; l++) lanes[l] = (steps[l] + steps[32 + l]) + (steps[16 + l] + steps[48 + l]);
                    float sum = whole > 0 ? HorizontalSums.Reference(lanes) : 0f;
                    for (int c = whole; c < headSize; c++) sum += Key(c) * Query(c);
                    p[j] = sum * scale;
                }
                fixed (float* pp = p) GgmlSoftmax.Reference(pp, n, first, SimdWidth.Vector512);
                for (int c = 0; c < headSize; c++)
                {
                    Array.Clear(lanes);
                    for (int j = 0; j < n; j++)
                        lanes[(first + j) % 16] = MathF.FusedMultiplyAdd(values[(first + j) * kvStride + kvOffset + c], p[j], lanes[(first + j) % 16]);
                    float expected = HorizontalSums.Reference(lanes), got = actual[(t * heads + h) * headSize + c];
                    Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(got),
                        $"token {t} head {h} [{c}]: {expected:R} vs {got:R}");
                }
            }
    }

    /// <summary>Random queries and an F32 cache of start + tokens positions, and CausalAttention's output over them.</summary>
    private static unsafe (float[] Q, float[] Keys, float[] Values, float[] Output) Attend(int tokens, int heads, int kvHeads, int headSize,
        int start, int window, int seed)
    {
        int positions = start + tokens, kvStride = kvHeads * headSize;
        var q = Random(tokens * heads * headSize, seed);
        var keys = Random(positions * kvStride, seed + 1, 2f);
        var values = Random(positions * kvStride, seed + 2);
        var output = new float[tokens * heads * headSize];
        using var pool = new ComputePool(3);
        var attention = new CausalAttention(pool, heads, kvHeads, headSize);
        fixed (float* pq = q, pk = keys, pv = values, po = output)
            attention.Forward(pq, pk, pv, po, tokens, start, window);
        return (q, keys, values, output);
    }

    private sealed class CountingJob(int count) : IRangeJob
    {
        public readonly int[] Hits = new int[count];
        public void Execute(int start, int end)
        {
            for (int i = start; i < end; i++) Interlocked.Increment(ref Hits[i]);
        }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(2, 7, 1)]
    [InlineData(4, 1000, 4)]
    [InlineData(3, 5, 8)]
    public void ComputePoolVisitsEveryIndexOnce(int threads, int count, int granularity)
    {
        using var pool = new ComputePool(threads);
        for (int round = 0; round < 50; round++)
        {
            var job = new CountingJob(count);
            pool.Run(job, count, granularity);
            Assert.All(job.Hits, h => Assert.Equal(1, h));
        }
    }
}
