// Embedding: lookup and scattered gradient against finite differences, repeated tokens included.
using Quill.Training.Layers;
using static Quill.Training.Tests.FiniteDifference;

namespace Quill.Training.Tests.Layers;

public class EmbeddingTests
{
    [Fact]
    public void GradientMatchesFiniteDifferences()
    {
        var rng = new Random(1);
        var layer = new Embedding(11, 5);
        RandomValues(rng, layer.Weight.Length).CopyTo(layer.Weight, 0);
        int[] tokens = [3, 0, 10, 3, 7, 3, 1];
        var r = RandomValues(rng, tokens.Length * 5);
        var y = new float[r.Length];
        layer.Forward(tokens, y);
        Assert.Equal(layer.Weight.AsSpan(10 * 5, 5).ToArray(), y.AsSpan(2 * 5, 5).ToArray());
        layer.Backward(r);
        AssertGradient("dW", layer.Weight, layer.WeightGrad, () => { layer.Forward(tokens, y); return Project(r, y); });
    }

    [Fact]
    public void TokenOutsideTheVocabularyThrows()
    {
        var layer = new Embedding(4, 2);
        Assert.Throws<ArgumentException>(() => layer.Forward([4], new float[2]));
    }
}
