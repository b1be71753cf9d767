// GPT-2 feature extraction: pooling by hand, truncation, empty texts, same vectors from GGUF and safetensors, concurrent calls.
using Quill.Models.Gpt2;

namespace Quill.Tests.Models.Gpt2;

public class Gpt2FeatureExtractorTests
{
    private static string Small => SyntheticModels.Get(Gpt2DifferentialTests.Named("small"));

    private static float[] Hidden(Gpt2Model model, int[] ids)
    {
        var hidden = new float[ids.Length * model.Config.Dim];
        using var state = model.CreateState(ids.Length);
        state.AppendHidden(ids, hidden);
        return hidden;
    }

    [Theory]
    [InlineData(Gpt2Pooling.Mean)]
    [InlineData(Gpt2Pooling.LastToken)]
    public void PoolsTheLastHiddenStates(Gpt2Pooling pooling)
    {
        using var model = Gpt2Model.Open(Small, threads: 1);
        using var embedder = new Gpt2FeatureExtractor(model, pooling);
        const string text = "the king and the queen";
        var ids = model.Tokenizer.Encode(text);
        var hidden = Hidden(model, ids);
        int c = model.Config.Dim;
        var expected = new float[c];
        if (pooling == Gpt2Pooling.LastToken) hidden.AsSpan((ids.Length - 1) * c, c).CopyTo(expected);
        else
        {
            for (int t = 0; t < ids.Length; t++) for (int i = 0; i < c; i++) expected[i] += hidden[t * c + i];
            for (int i = 0; i < c; i++) expected[i] /= ids.Length;
        }

        var result = embedder.Embed([text]);
        Assert.Equal(c, embedder.Dimensions);
        Assert.Equal(ids.Length, result.TokenCounts[0]);
        Assert.False(result.Truncated[0]);
        for (int i = 0; i < c; i++) Assert.Equal(expected[i], result.Vectors[0][i], 1e-5f);
    }

    [Fact]
    public void LongTextsAreTruncatedToTheContextAndEmptyTextsGiveZeros()
    {
        string path = SyntheticModels.Get(Gpt2DifferentialTests.Shape(context: 16));
        using var embedder = Gpt2FeatureExtractor.Open(path, threads: 1);
        var result = embedder.Embed([string.Join(' ', Enumerable.Repeat("word", 40)), "", "short"]);
        Assert.Equal(16, embedder.MaxTokens);
        Assert.Equal([16, 0, result.TokenCounts[2]], result.TokenCounts);
        Assert.Equal([true, false, false], result.Truncated);
        Assert.All(result.Vectors[1], x => Assert.Equal(0f, x));
        Assert.Contains(result.Vectors[0], x => x != 0);
    }

    [Fact]
    public void GgufAndSafetensorsGiveTheSameVectors()
    {
        string folder = HuggingFaceGpt2Files.Write(Small, new(Prefix: true, TokenizerJson: false));
        using var fromGguf = Gpt2FeatureExtractor.Open(Small, threads: 2);
        using var fromFolder = Gpt2FeatureExtractor.Open(folder, threads: 2);
        string[] texts = ["king", "man", "woman", "queen", "a longer sentence about royalty"];
        var a = fromGguf.Embed(texts);
        var b = fromFolder.Embed(texts);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(a.Vectors[i], b.Vectors[i]);
    }

    [Fact]
    public void ConcurrentCallsGiveTheSerialResults()
    {
        using var embedder = Gpt2FeatureExtractor.Open(Small, Gpt2Pooling.LastToken, threads: 2);
        string[] texts = ["king", "man", "woman", "queen", "prince", "princess", "the crown"];
        var serial = embedder.Embed(texts);
        var parallel = new float[texts.Length][];
        Parallel.For(0, texts.Length, i => parallel[i] = embedder.Embed([texts[i]]).Vectors[0]);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(serial.Vectors[i], parallel[i]);
        Assert.EndsWith("/last", embedder.ModelName);
    }
}
