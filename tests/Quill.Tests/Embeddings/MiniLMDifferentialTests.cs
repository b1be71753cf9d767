// all-MiniLM-L6-v2 in Quill against ONNX Runtime on the same model.onnx: pooled vectors, token ids, batching, truncation.
using Quill.Embeddings;
using Quill.TestSupport.Corpora;
using Xunit.Abstractions;

namespace Quill.Tests.Embeddings;

public sealed class MiniLMDifferentialTests(MiniLMFixture fixture, ITestOutputHelper output) : IClassFixture<MiniLMFixture>
{
    /// <summary>Every sentence's cosine with ONNX Runtime's vector must reach this.</summary>
    private const float MinCosine = 0.99999f;

    private static readonly string[] Texts = [.. EnglishSentences.Varied(130), .. MixedCorpus.Documents(100, seed: 4)];

    [Fact]
    public void CorpusHasTwoHundredTextsOfVariedLength()
    {
        var counts = Texts.Select(t => fixture.FromOnnx.TokenIds(t, out _).Length).ToArray();
        Assert.True(Texts.Length >= 200);
        Assert.True(counts.Min() <= 10 && counts.Max() >= 150, $"token counts {counts.Min()}..{counts.Max()}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PooledVectorsMatchOnnxRuntime(bool fromGguf)
    {
        var embedder = fromGguf ? fixture.FromGguf : fixture.FromOnnx;
        var ours = embedder.Embed(Texts).Vectors;
        var ids = Texts.Select(t => embedder.TokenIds(t, out _)).ToArray();
        float worst = 1;
        int worstIndex = -1;
        for (int b = 0; b < ids.Length; b += 16)
        {
            var reference = fixture.Reference(ids[b..Math.Min(ids.Length, b + 16)]);
            for (int i = 0; i < reference.Length; i++)
            {
                float cosine = TextPooling.Cosine(ours[b + i], reference[i]);
                if (cosine < worst) (worst, worstIndex) = (cosine, b + i);
            }
        }
        output.WriteLine($"{(fromGguf ? "GGUF" : "ONNX")}: lowest cosine {worst:F8} ({ids[worstIndex].Length} tokens) over {Texts.Length} texts");
        Assert.True(worst >= MinCosine, $"text {worstIndex} ({ids[worstIndex].Length} tokens): cosine {worst:F8} < {MinCosine}");
    }

    [Fact]
    public void TokenIdsAreTheVocabularysWordPiece()
    {
        // The ONNX model was trained with bert-base-uncased's WordPiece; our GGUF copy carries the same vocabulary.
        var builtIn = Quill.Tokenizers.WordPiece.BertTokenizerFactory.BuiltIn("bert-base-uncased");
        foreach (string text in Texts)
        {
            int[] expected = builtIn.Encode(text);
            Assert.Equal(expected, fixture.FromOnnx.Tokenizer.Encode(text));
            Assert.Equal(expected, fixture.FromGguf.Tokenizer.Encode(text));
        }
        Assert.Equal([101, 1996, 4937, 2938, 2006, 1996, 13523, 1012, 102], fixture.FromGguf.Tokenizer.Encode("The cat sat on the mat."));
    }

    [Fact]
    public void BatchedEqualsOneByOne()
    {
        string[] texts = Texts[..40];
        var batched = fixture.FromOnnx.Embed(texts).Vectors;
        for (int i = 0; i < texts.Length; i++)
            Assert.Equal(fixture.FromOnnx.Embed([texts[i]]).Vectors[0], batched[i]);
    }

    [Fact]
    public void LongTextsAreTruncatedAndFlagged()
    {
        string text = EnglishSentences.Long();
        var result = fixture.FromOnnx.Embed([text, "short"]);
        Assert.Equal([512, 3], result.TokenCounts);
        Assert.Equal([true, false], result.Truncated);
        int[] ids = fixture.FromOnnx.TokenIds(text, out bool truncated);
        Assert.True(truncated);
        Assert.Equal(101, ids[0]);
        Assert.Equal(102, ids[^1]);
        float cosine = TextPooling.Cosine(result.Vectors[0], fixture.Reference([ids])[0]);
        Assert.True(cosine >= MinCosine, $"cosine {cosine}");

        // A shorter cut keeps the same first tokens and the closing [SEP]; a text that fits is not cut.
        int[] short128 = fixture.FromOnnx.TokenIds(text, 128, out bool cut);
        Assert.True(cut);
        Assert.Equal(ids[..127], short128[..127]);
        Assert.Equal(102, short128[^1]);
        Assert.Equal(128, short128.Length);
        Assert.Equal(fixture.FromOnnx.TokenIds("short", out _), fixture.FromOnnx.TokenIds("short", 128, out bool shortCut));
        Assert.False(shortCut);
        Assert.Throws<ArgumentOutOfRangeException>(() => fixture.FromOnnx.TokenIds(text, 0, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => fixture.FromOnnx.TokenIds(text, 513, out _));
    }

    [Fact]
    public void SimilarSentencesScoreHigherThanUnrelatedOnes()
    {
        var v = fixture.FromGguf.Embed(["A man is playing a guitar.", "Someone plays an instrument.", "The stock market fell sharply."]).Vectors;
        Assert.True(TextPooling.Cosine(v[0], v[1]) > TextPooling.Cosine(v[0], v[2]) + 0.2f);
        Assert.Equal(1f, MathF.Sqrt(v[0].Sum(x => x * x)), 1e-5f);
    }
}
