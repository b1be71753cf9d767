// `quill embed`, `similarity` and `analogy` end to end on the built-in all-MiniLM-L6-v2, and their one-line errors.
using System.Text.Json;
using Quill.Embeddings;
using Quill.Models.Synthetic;
using Quill.Tests.Cli;
using Quill.Tests.Models;

namespace Quill.Tests.Embeddings;

public sealed class EmbedCliTests
{
    private const float Tolerance = 1e-5f;

    [Fact]
    public void EmbedJsonHoldsOneUnitVectorPerTextEqualToTheLibrary()
    {
        var r = QuillCli.Run("embed", "--json", "The cat sat on the mat.", "Quarterly tax filing");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using JsonDocument document = JsonDocument.Parse(r.Stdout);
        Assert.Equal("all-MiniLM-L6-v2", document.RootElement.GetProperty("model").GetString());
        Assert.Equal(384, document.RootElement.GetProperty("dim").GetInt32());
        float[][] data = document.RootElement.GetProperty("data").Deserialize<float[][]>()!;
        Assert.Equal(2, data.Length);
        using ITextEmbedder embedder = EmbedderCatalog.Load();
        float[][] expected = embedder.Embed(["The cat sat on the mat.", "Quarterly tax filing"]).Vectors;
        for (int t = 0; t < 2; t++)
        {
            Assert.Equal(1f, MathF.Sqrt(data[t].Sum(v => v * v)), 1e-4f);
            for (int i = 0; i < 384; i++) Assert.True(MathF.Abs(expected[t][i] - data[t][i]) <= Tolerance, $"text {t} element {i}");
        }
    }

    [Fact]
    public void EmbedReadsLinesFromStdin()
    {
        var r = QuillCli.RunWithInput("first line\n\nsecond line\n", "embed", "-");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(2, r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void RelatedTextsAreMoreSimilarThanUnrelatedOnes()
    {
        var related = QuillCli.Run("similarity", "I love dogs", "I adore puppies");
        var unrelated = QuillCli.Run("similarity", "I love dogs", "Quarterly tax filing deadline");
        Assert.True(related.ExitCode == 0, related.Stderr);
        Assert.True(float.Parse(related.Stdout, System.Globalization.CultureInfo.InvariantCulture) > 0.5f);
        Assert.True(float.Parse(unrelated.Stdout, System.Globalization.CultureInfo.InvariantCulture) < 0.2f);
    }

    [Fact]
    public void KingMinusManPlusWomanIsClosestToQueen()
    {
        var r = QuillCli.Run("analogy", "king", "man", "woman", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using JsonDocument document = JsonDocument.Parse(r.Stdout);
        Assert.Equal("queen", document.RootElement[0].GetProperty("word").GetString());
        Assert.DoesNotContain(document.RootElement.EnumerateArray(), e => e.GetProperty("word").GetString() is "king" or "man" or "woman");
    }

    [Fact]
    public void ADecoderThatIsNotGpt2IsNotAnEmbeddingModel()
    {
        string llama = SyntheticModels.Get(new SyntheticModelOptions { Dim = 32, Layers = 1, Heads = 2, KvHeads = 1, VocabSize = 300 });
        var r = QuillCli.Run("embed", "-m", llama, "hello");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("general.architecture 'llama' is not an embedding model", r.Stderr);
    }

    [Fact]
    public void BadPoolingIsRejected()
    {
        var r = QuillCli.Run("embed", "--pooling", "median", "hello");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--pooling must be mean, cls or max", r.Stderr);
    }
}
