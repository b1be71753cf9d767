// Causal attention over an F16 KV cache against its scalar Reference at every SIMD width, on odd head sizes and position
// counts; and both cache types giving the same bits whatever the threads and grouping of heads.
using Quill.Tensors.Kernels;
using Quill.Tensors.Quantization;
using Quill.Tensors.Simd;
using Quill.Tensors.Threading;

namespace Quill.Tensors.Tests.Kernels;

public class CausalAttentionHalfTests
{
    // Relative to the largest |output| of a head: the kernel and the reference round q and the probabilities to F16 the
    // same way, but their float sums differ in order, which can move a probability across an F16 rounding boundary
    // (2^-11 of that probability).
    private const float Tolerance = 2e-3f;

    private static float[] Random(int n, int seed, float scale = 1f)
    {
        var r = new Random(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(r.NextDouble() * 2 - 1) * scale;
        return v;
    }

    private static Half[] ToHalf(float[] x)
    {
        var bits = new byte[2 * x.Length];
        F16Row.QuantizeReference(x, bits);
        var h = new Half[x.Length];
        for (int i = 0; i < x.Length; i++) h[i] = BitConverter.UInt16BitsToHalf(BitConverter.ToUInt16(bits, 2 * i));
        return h;
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string where)
    {
        float scale = 1e-6f;
        foreach (var e in expected) scale = Math.Max(scale, Math.Abs(e));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance * scale, $"{where} index {i}: expected {expected[i]}, got {actual[i]}");
    }

    public static TheoryData<int, int, int, int, int, int> Shapes => new()
    {
        // tokens, heads, kvHeads, headSize, start, window
        { 1, 1, 1, 1, 0, 0 },
        { 1, 4, 2, 31, 32, 0 },
        { 3, 4, 4, 33, 30, 0 },
        { 5, 8, 2, 17, 2, 0 },
        { 7, 8, 1, 64, 90, 0 },
        { 2, 6, 3, 128, 300, 0 },
        { 9, 4, 2, 8, 40, 3 },
        { 1, 8, 2, 80, 1200, 0 },  // several F16 row blocks (4096 / 80 = 51 rows each)
        { 2, 16, 2, 64, 2100, 0 }, // more positions than fit eight heads' scores on the stack: heads attended in runs
        { 3, 4, 4, 64, 30, 0 },    // one query head per KV head: keys and values widened in registers (odd position counts)
        { 2, 3, 3, 48, 4, 3 },     // the same, windowed, with a head size short of the 64-float value run
    };

    public static IEnumerable<object[]> ShapesAtEveryWidth()
    {
        foreach (var width in SimdCapability.Supported())
            foreach (var row in Shapes)
                yield return [width, .. row];
    }

    [Theory, MemberData(nameof(ShapesAtEveryWidth))]
    internal unsafe void HalfCacheMatchesReference(SimdWidth width, int tokens, int heads, int kvHeads, int headSize, int start, int window)
    {
        int positions = start + tokens;
        int kvStride = kvHeads * headSize;
        var q = Random(tokens * heads * headSize, 6, 2f);
        Half[] keys = ToHalf(Random(positions * kvStride, 7, 2f));
        Half[] values = ToHalf(Random(positions * kvStride, 8));
        var actual = new float[tokens * heads * headSize];
        using var pool = new ComputePool(3);
        var attention = new CausalAttention(pool, heads, kvHeads, headSize, width);
        fixed (float* pq = q, po = actual)
        fixed (Half* pk = keys, pv = values)
            attention.Forward(pq, pk, pv, po, tokens, start, window);
        var expected = new float[headSize];
        for (int t = 0; t < tokens; t++)
            for (int h = 0; h < heads; h++)
            {
                CausalAttention.Reference(q.AsSpan((t * heads + h) * headSize, headSize), keys, values, expected,
                    start + t, window, kvStride, h / (heads / kvHeads) * headSize, headSize);
                AssertClose(expected, actual.AsSpan((t * heads + h) * headSize, headSize), $"t {t} h {h}");
            }
    }

    public static IEnumerable<object[]> UnusualHalvesAtEveryWidth()
    {
        foreach (var width in SimdCapability.Supported())
        {
            yield return [width, 64, 37];  // one query head per KV head: keys and values widened in registers, row by row
            yield return [width, 128, 9];
            yield return [width, 48, 21];  // a head size with a 16-element tail
        }
    }

    [Theory, MemberData(nameof(UnusualHalvesAtEveryWidth))]
    internal unsafe void RowsWithZerosAndSubnormalsMatchReference(SimdWidth width, int headSize, int positions)
    {
        // Most rows hold only normal halves and take the short widening; every third key row and every fifth value row
        // gets a zero, a negative zero or a subnormal somewhere, which must go the exact way and give the same result.
        const int heads = 2, kvHeads = 2;
        int kvStride = kvHeads * headSize;
        var q = Random(heads * headSize, 11, 2f);
        Half[] keys = ToHalf(Random(positions * kvStride, 12, 2f));
        Half[] values = ToHalf(Random(positions * kvStride, 13));
        Half[] unusual = [(Half)0f, -(Half)0f, BitConverter.UInt16BitsToHalf(0x0001), BitConverter.UInt16BitsToHalf(0x83FF)];
        for (int j = 0; j < positions; j++)
        {
            if (j % 3 == 0) keys[j * kvStride + (j * 7) % kvStride] = unusual[j % unusual.Length];
            if (j % 5 == 0) values[j * kvStride + (j * 11) % kvStride] = unusual[(j / 5) % unusual.Length];
        }
        var actual = new float[heads * headSize];
        using var pool = new ComputePool(2);
        var attention = new CausalAttention(pool, heads, kvHeads, headSize, width);
        fixed (float* pq = q, po = actual)
        fixed (Half* pk = keys, pv = values)
            attention.Forward(pq, pk, pv, po, 1, positions - 1, 0);
        var expected = new float[headSize];
        for (int h = 0; h < heads; h++)
        {
            CausalAttention.Reference(q.AsSpan(h * headSize, headSize), keys, values, expected, positions - 1, 0, kvStride, h * headSize, headSize);
            AssertClose(expected, actual.AsSpan(h * headSize, headSize), $"h {h}");
        }
    }

    [Fact]
    public void HalfReferenceRoundsQueryAndProbabilities()
    {
        // One position: the probability is exactly 1, so the output is the F16 value itself; q's rounding shows in nothing.
        var q = new float[] { 0.1f, 0.2f };
        Half[] keys = [(Half)0.5f, (Half)0.25f];
        Half[] values = [(Half)0.3f, (Half)(-0.7f)];
        var output = new float[2];
        CausalAttention.Reference(q, keys, values, output, 0, 0, 2, 0, 2);
        Assert.Equal([(float)(Half)0.3f, (float)(Half)(-0.7f)], output);
    }

    public static TheoryData<bool> CacheTypes => new() { true, false };

    [Theory, MemberData(nameof(CacheTypes))]
    public unsafe void SameBitsWhateverTheThreadsAndGrouping(bool half)
    {
        // Eight query heads per KV head and 2100 positions: one thread attends them in runs of seven and one; three threads
        // cut the range elsewhere. Each (t, h) must come out the same either way, and the same as that row alone.
        const int tokens = 3, heads = 16, kvHeads = 2, headSize = 40, start = 2100;
        int positions = start + tokens, kvStride = kvHeads * headSize;
        var q = Random(tokens * heads * headSize, 1);
        float[] keys = Random(positions * kvStride, 2, 2f), values = Random(positions * kvStride, 3);
        Half[] halfKeys = ToHalf(keys), halfValues = ToHalf(values);

        float[] Run(int threads, int first, int count)
        {
            var output = new float[count * heads * headSize];
            using var pool = new ComputePool(threads);
            var attention = new CausalAttention(pool, heads, kvHeads, headSize);
            fixed (float* pq = q, pk = keys, pv = values, po = output)
            fixed (Half* hk = halfKeys, hv = halfValues)
            {
                float* rows = pq + (long)first * heads * headSize;
                if (half) attention.Forward(rows, hk, hv, po, count, start + first, 0);
                else attention.Forward(rows, pk, pv, po, count, start + first, 0);
            }
            return output;
        }

        float[] one = Run(1, 0, tokens);
        Assert.Equal(one, Run(3, 0, tokens));
        Assert.Equal(one, Run(2, 0, tokens));
        for (int t = 0; t < tokens; t++)
            Assert.Equal(one.AsSpan(t * heads * headSize, heads * headSize).ToArray(), Run(3, t, 1));
    }
}
