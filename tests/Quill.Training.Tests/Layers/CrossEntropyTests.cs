// Cross-entropy: value, ignore index and the logits gradient against finite differences.
using Quill.Training.Layers;
using static Quill.Training.Tests.FiniteDifference;

namespace Quill.Training.Tests.Layers;

public class CrossEntropyTests
{
    private const float LossTolerance = 1e-5f;

    [Theory]
    [InlineData(new[] { 3, -100, 0, 10, 10, -100, 7 })]
    [InlineData(new[] { 4 })]
    public void GradientMatchesFiniteDifferences(int[] targets)
    {
        const int vocab = 11;
        var rng = new Random(targets.Length);
        var layer = new CrossEntropy(vocab);
        var logits = RandomValues(rng, targets.Length * vocab, 3f);
        var dlogits = new float[logits.Length];
        layer.Forward(logits, targets);
        layer.Backward(dlogits, 2f);
        AssertGradient("dlogits", logits, dlogits, () => 2.0 * layer.Forward(logits, targets));
        for (int t = 0; t < targets.Length; t++)
            if (targets[t] == CrossEntropy.IgnoreIndex)
                Assert.All(dlogits.AsSpan(t * vocab, vocab).ToArray(), value => Assert.Equal(0f, value));
    }

    [Fact]
    public void UniformLogitsGiveLogVocabulary()
    {
        var layer = new CrossEntropy(13);
        float loss = layer.Forward(new float[3 * 13], [1, CrossEntropy.IgnoreIndex, 12]);
        Assert.Equal(MathF.Log(13), loss, LossTolerance);
    }

    [Fact]
    public void AllIgnoredGivesZeroLossAndGradient()
    {
        var layer = new CrossEntropy(5);
        var logits = RandomValues(new Random(1), 10);
        Assert.Equal(0f, layer.Forward(logits, [CrossEntropy.IgnoreIndex, CrossEntropy.IgnoreIndex]));
        var d = new float[10];
        d.AsSpan().Fill(1f);
        layer.Backward(d);
        Assert.All(d, value => Assert.Equal(0f, value));
    }
}
