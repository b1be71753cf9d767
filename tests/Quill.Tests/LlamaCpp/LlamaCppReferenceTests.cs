// Checks the llama.cpp reference harness and the tiny Llama files it is fed; not tests of Quill's own engine.
using Quill.TestSupport.LlamaCpp;

namespace Quill.Tests.LlamaCpp;

public class LlamaCppReferenceTests
{
    // Decoding a prefix alone or inside a longer batch may block the matrix products differently.
    private const float CausalTolerance = 1e-4f;

    // llama.cpp sums in F32, the scalar forward in double; seen 4e-6 on logits of magnitude up to 15.
    private const float ScalarForwardTolerance = 1e-4f;

    private static readonly TinyLlamaOptions Options = new();
    private static string Model => TinyLlamaFiles.Shared(Options);

    private static readonly int[] Prompt = [TinyLlamaVocabulary.BosId, 300, 17, 42, 301, 5, 333, 290];

    [Fact]
    public void TinyFileLoadsWithItsHyperParameters()
    {
        LlamaCppModelInfo info = LlamaCppReference.Describe(Model);

        Assert.Equal(TinyLlamaVocabulary.Count, info.VocabularySize);
        Assert.Equal(Options.EmbeddingLength, info.EmbeddingLength);
        Assert.Equal(Options.BlockCount, info.BlockCount);
        Assert.Equal(Options.HeadCount, info.HeadCount);
        Assert.Equal(Options.HeadCountKv, info.HeadCountKv);
        Assert.Equal(Options.ContextLength, info.ContextLength);
        Assert.Equal("ALL_F32", info.FileType);
    }

    [Fact]
    public void LogitsAreFiniteAtEveryPosition()
    {
        float[][] logits = LlamaCppReference.Logits(Model, Prompt);

        Assert.Equal(Prompt.Length, logits.Length);
        foreach (float[] row in logits)
        {
            Assert.Equal(TinyLlamaVocabulary.Count, row.Length);
            Assert.All(row, x => Assert.True(float.IsFinite(x)));
            Assert.True(row.Max() - row.Min() > 0.1f, "logits of random weights should not be flat");
        }
    }

    [Fact]
    public void LogitsDifferBetweenPositions()
    {
        float[][] logits = LlamaCppReference.Logits(Model, Prompt);

        Assert.NotEqual(logits[1], logits[2]);
    }

    [Fact]
    public void LogitsMatchAScalarForwardOfTheSameWeights()
    {
        float[][] llama = LlamaCppReference.Logits(Model, Prompt);
        float[][] scalar = ScalarLlamaForward.Logits(Options, Prompt);

        for (int t = 0; t < Prompt.Length; t++)
        {
            for (int v = 0; v < scalar[t].Length; v++) Assert.Equal(scalar[t][v], llama[t][v], ScalarForwardTolerance);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public void LogitsOfAPrefixDoNotDependOnLaterTokens(int prefixLength)
    {
        float[][] full = LlamaCppReference.Logits(Model, Prompt);
        float[][] prefix = LlamaCppReference.Logits(Model, Prompt[..prefixLength]);

        for (int t = 0; t < prefixLength; t++)
        {
            for (int v = 0; v < prefix[t].Length; v++) Assert.Equal(prefix[t][v], full[t][v], CausalTolerance);
        }
    }

    [Fact]
    public void GreedyIsDeterministicAndStartsWithTheArgMax()
    {
        int[] first = LlamaCppReference.Greedy(Model, Prompt, maxTokens: 12);
        int[] second = LlamaCppReference.Greedy(Model, Prompt, maxTokens: 12, threads: 1);

        Assert.Equal(first, second);
        Assert.InRange(first.Length, 1, 12);
        float[] last = LlamaCppReference.Logits(Model, Prompt)[^1];
        Assert.Equal(Array.IndexOf(last, last.Max()), first[0]);
    }

    [Fact]
    public void GreedyFollowsItsOwnLogits()
    {
        int[] continuation = LlamaCppReference.Greedy(Model, Prompt, maxTokens: 4);
        int[] all = [.. Prompt, .. continuation];

        float[][] logits = LlamaCppReference.Logits(Model, all);

        for (int i = 0; i < continuation.Length; i++)
        {
            float[] row = logits[Prompt.Length - 1 + i];
            Assert.Equal(Array.IndexOf(row, row.Max()), continuation[i]);
        }
    }

    public static TheoryData<string, bool, bool, string[]> TokenizeCases => new()
    {
        { "Hello world", true, false, ["<s>", "\u2581Hello", "\u2581world"] },
        { "Hello world", false, false, ["\u2581Hello", "\u2581world"] },
        { "the", false, false, ["\u2581the"] },
        { "<s>Hello", false, true, ["<s>", "\u2581Hello"] },
        { "\n", false, false, ["\u2581", "<0x0A>"] },
        { "é", false, false, ["\u2581", "<0xC3>", "<0xA9>"] },
    };

    [Theory]
    [MemberData(nameof(TokenizeCases))]
    public void TokenizeMatchesTheTinyVocabulary(string text, bool addSpecial, bool parseSpecial, string[] expected)
    {
        int[] ids = LlamaCppReference.Tokenize(Model, text, addSpecial, parseSpecial);

        Assert.Equal(expected.Select(TinyLlamaVocabulary.IdOf), ids);
    }

    [Theory]
    [InlineData("Hello world")]
    [InlineData("the world, 42!")]
    [InlineData("é\n")]
    public void DetokenizeInvertsTokenize(string text)
    {
        int[] ids = LlamaCppReference.Tokenize(Model, text, addSpecial: false, parseSpecial: false);

        Assert.Equal(text, LlamaCppReference.Detokenize(Model, ids));
    }

    [Theory]
    [InlineData("Q8_0", "MOSTLY_Q8_0")]
    [InlineData("Q4_K_M", "MOSTLY_Q4_K_M")]
    public void QuantizeWritesASmallerFileThatLoads(string type, string fileType)
    {
        string destination = Path.Combine(Path.GetTempPath(), $"quill-quantized-{Guid.NewGuid():N}.gguf");
        try
        {
            LlamaCppReference.Quantize(Model, destination, type);

            Assert.True(new FileInfo(destination).Length < new FileInfo(Model).Length / 3, "a quantized file should be under a third of F32");
            Assert.Equal(fileType, LlamaCppReference.Describe(destination).FileType);
            float[][] logits = LlamaCppReference.Logits(destination, Prompt);
            Assert.All(logits, row => Assert.All(row, x => Assert.True(float.IsFinite(x))));
        }
        finally
        {
            File.Delete(destination);
        }
    }

    [Fact]
    public void QuantizeRejectsAnUnknownType() =>
        Assert.Throws<ArgumentException>(() => LlamaCppReference.Quantize(Model, Path.GetTempFileName(), "Q9_Z"));

    [Fact]
    public void MissingFileIsReportedByPath() =>
        Assert.Throws<FileNotFoundException>(() => LlamaCppReference.Logits("/nonexistent/model.gguf", [1]));

    [Fact]
    public void BenchReportsPositiveSpeeds()
    {
        (double prompt, double gen) = LlamaCppReference.Bench(Model, promptTokens: 16, genTokens: 4, threads: 1);

        Assert.True(prompt > 0 && double.IsFinite(prompt));
        Assert.True(gen > 0 && double.IsFinite(gen));
    }

    [Fact]
    public void BenchDecodesAfterADepthOfCachedTokens()
    {
        (_, double gen) = LlamaCppReference.Bench(Model, promptTokens: 8, genTokens: 4, threads: 1, depth: 20);
        Assert.True(gen > 0 && double.IsFinite(gen));
        Assert.Throws<ArgumentOutOfRangeException>(() => LlamaCppReference.Bench(Model, promptTokens: 8, genTokens: 4, threads: 1, depth: -1));
    }
}
