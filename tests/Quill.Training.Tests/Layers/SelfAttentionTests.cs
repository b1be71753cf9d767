// Attention: dq, dk, dv against finite differences with GQA and padding, forward against the inference reference.
using Quill.Tensors.Kernels;
using Quill.Training.Layers;
using static Quill.Training.Tests.FiniteDifference;

namespace Quill.Training.Tests.Layers;

public class SelfAttentionTests
{
    private const float ForwardTolerance = 1e-5f;

    [Theory]
    [InlineData(4, 2, 3, new[] { 5, 3 }, true)]
    [InlineData(3, 3, 5, new[] { 5 }, true)]
    [InlineData(2, 1, 7, new[] { 1, 4, 5 }, true)]
    [InlineData(4, 4, 3, new[] { 5, 3 }, false)]
    [InlineData(2, 1, 7, new[] { 1, 4, 5 }, false)]
    public void GradientsMatchFiniteDifferences(int heads, int kvHeads, int headSize, int[] lengths, bool causal)
    {
        const int tokens = 5;
        var rng = new Random(heads * 10 + kvHeads);
        var layer = new SelfAttention(heads, kvHeads, headSize, causal);
        int batch = lengths.Length;
        var q = RandomValues(rng, batch * tokens * heads * headSize, 2f);
        var k = RandomValues(rng, batch * tokens * kvHeads * headSize, 2f);
        var v = RandomValues(rng, k.Length);
        var r = RandomValues(rng, q.Length);
        var y = new float[q.Length];
        var dq = new float[q.Length];
        var dk = new float[k.Length];
        var dv = new float[v.Length];
        layer.Forward(q, k, v, lengths, y);
        layer.Backward(r, dq, dk, dv);
        double Loss() { layer.Forward(q, k, v, lengths, y); return Project(r, y); }
        AssertGradient("dq", q, dq, Loss);
        AssertGradient("dk", k, dk, Loss);
        AssertGradient("dv", v, dv, Loss);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void PaddingIsNeitherReadNorWritten(bool causal)
    {
        const int heads = 2, kvHeads = 1, headSize = 3, tokens = 4;
        var rng = new Random(8);
        int[] lengths = [4, 2];
        var layer = new SelfAttention(heads, kvHeads, headSize, causal);
        var q = RandomValues(rng, 2 * tokens * heads * headSize);
        var k = RandomValues(rng, 2 * tokens * kvHeads * headSize);
        var v = RandomValues(rng, k.Length);
        var y = new float[q.Length];
        layer.Forward(q, k, v, lengths, y);
        var padded = y.AsSpan((tokens + 2) * heads * headSize, 2 * heads * headSize);
        Assert.All(padded.ToArray(), value => Assert.Equal(0f, value));

        // Changing the padded keys and values of sequence 1 leaves every output unchanged.
        var kChanged = (float[])k.Clone();
        var vChanged = (float[])v.Clone();
        for (int i = (tokens + 2) * kvHeads * headSize; i < k.Length; i++) { kChanged[i] += 5f; vChanged[i] -= 3f; }
        var yChanged = new float[y.Length];
        layer.Forward(q, kChanged, vChanged, lengths, yChanged);
        Assert.Equal(y, yChanged);

        var dq = new float[q.Length];
        var dk = new float[k.Length];
        var dv = new float[v.Length];
        layer.Backward(RandomValues(rng, q.Length), dq, dk, dv);
        Assert.All(dq.AsSpan((tokens + 2) * heads * headSize).ToArray(), value => Assert.Equal(0f, value));
        Assert.All(dk.AsSpan((tokens + 2) * kvHeads * headSize).ToArray(), value => Assert.Equal(0f, value));
        Assert.All(dv.AsSpan((tokens + 2) * kvHeads * headSize).ToArray(), value => Assert.Equal(0f, value));
    }

    [Fact]
    public void ForwardMatchesInferenceReference()
    {
        const int heads = 4, kvHeads = 2, headSize = 5, tokens = 7;
        var rng = new Random(6);
        int[] lengths = [7, 6];
        var layer = new SelfAttention(heads, kvHeads, headSize);
        var q = RandomValues(rng, 2 * tokens * heads * headSize);
        var k = RandomValues(rng, 2 * tokens * kvHeads * headSize);
        var v = RandomValues(rng, k.Length);
        var y = new float[q.Length];
        layer.Forward(q, k, v, lengths, y);
        var expected = new float[q.Length];
        int kvStride = kvHeads * headSize, group = heads / kvHeads;
        for (int b = 0; b < 2; b++)
        {
            var keys = k.AsSpan(b * tokens * kvStride, tokens * kvStride);
            var values = v.AsSpan(b * tokens * kvStride, tokens * kvStride);
            for (int t = 0; t < lengths[b]; t++)
                for (int h = 0; h < heads; h++)
                {
                    int offset = ((b * tokens + t) * heads + h) * headSize;
                    CausalAttention.Reference(q.AsSpan(offset, headSize), keys, values, expected.AsSpan(offset, headSize),
                        t, 0, kvStride, h / group * headSize, headSize);
                }
        }
        AssertClose(expected, y, ForwardTolerance);
    }

    [Fact]
    public void LargeScoresStayFinite()
    {
        const int heads = 1, headSize = 4, tokens = 3;
        var layer = new SelfAttention(heads, heads, headSize);
        var q = Enumerable.Repeat(100f, tokens * headSize).ToArray();
        var k = Enumerable.Repeat(100f, tokens * headSize).ToArray();
        var v = Enumerable.Range(0, tokens * headSize).Select(i => (float)i).ToArray();
        var y = new float[q.Length];
        layer.Forward(q, k, v, [tokens], y);
        Assert.All(y, value => Assert.True(float.IsFinite(value)));
        Assert.Equal(v[0], y[0]); // the first query sees only the first key
    }

    [Fact]
    public void BidirectionalForwardMatchesTheEncoderReference()
    {
        const int heads = 3, headSize = 5, tokens = 6;
        var rng = new Random(9);
        int[] lengths = [6, 4];
        var layer = new SelfAttention(heads, heads, headSize, causal: false);
        var q = RandomValues(rng, 2 * tokens * heads * headSize);
        var k = RandomValues(rng, q.Length);
        var v = RandomValues(rng, q.Length);
        var y = new float[q.Length];
        layer.Forward(q, k, v, lengths, y);
        var expected = new float[q.Length];
        int channels = heads * headSize;
        for (int b = 0; b < 2; b++)
        {
            int start = b * tokens * channels, length = lengths[b];
            for (int h = 0; h < heads; h++)
                BidirectionalAttention.Reference(q.AsSpan(start), k.AsSpan(start), v.AsSpan(start), expected.AsSpan(start), length, channels,
                    h * headSize, headSize);
        }
        AssertClose(expected, y, ForwardTolerance);
    }
}
