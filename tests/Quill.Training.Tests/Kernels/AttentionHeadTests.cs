// AttentionHead's blocked forward against its scalar reference, causal and bidirectional, with padding and grouped KV heads.
using Quill.Training.Kernels;

namespace Quill.Training.Tests.Kernels;

public sealed class AttentionHeadTests
{
    private const float Tolerance = 1e-5f;

    [Theory]
    [InlineData(1, 1, 1, 1, 1, true)]
    [InlineData(33, 2, 1, 5, 30, true)]
    [InlineData(31, 4, 2, 8, 31, true)]
    [InlineData(64, 2, 2, 48, 0, true)]
    [InlineData(1, 1, 1, 1, 1, false)]
    [InlineData(33, 2, 1, 5, 30, false)]
    [InlineData(31, 4, 4, 8, 31, false)]
    public void ForwardMatchesReference(int tokens, int heads, int kvHeads, int headSize, int length, bool causal)
    {
        var shape = new AttentionHead.Shape(tokens, heads, kvHeads, headSize, causal);
        const int batch = 2;
        var rng = new Random(tokens + heads);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var q = Values(batch * tokens * heads * headSize);
        var k = Values(batch * tokens * kvHeads * headSize);
        var v = Values(k.Length);
        var (probs, output) = (Values(batch * heads * tokens * tokens), Values(q.Length));
        var (probsRef, outputRef) = ((float[])probs.Clone(), (float[])output.Clone());
        for (int head = 0; head < heads; head++)
        {
            AttentionHead.Forward(shape, 1, head, length, q, k, v, probs, output);
            AttentionHead.ForwardReference(shape, 1, head, length, q, k, v, probsRef, outputRef);
        }
        for (int i = 0; i < probs.Length; i++) Assert.InRange(probs[i] - probsRef[i], -Tolerance, Tolerance);
        for (int i = 0; i < output.Length; i++) Assert.InRange(output[i] - outputRef[i], -Tolerance, Tolerance);
    }
}
