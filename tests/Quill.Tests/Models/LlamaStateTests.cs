// Properties of the Llama forward pass that need no peer: batching, causality, truncation, threads, loading modes.
using Quill.Models;
using Quill.Models.Synthetic;
using Quill.Tensors;

namespace Quill.Tests.Models;

public class LlamaStateTests
{
    // Same arithmetic in a different grouping (batch vs single token, thread split) differs only by float rounding.
    private const float RegroupingTolerance = 1e-4f;

    private static readonly SyntheticModelOptions Options = new()
    {
        Dim = 64, Layers = 2, Heads = 4, KvHeads = 2, FeedForwardDim = 96, VocabSize = 300,
        ContextLength = 600
    };
    private static readonly int[] Tokens = Enumerable.Range(0, 40).Select(i => (i * 37 + 11) % 300).ToArray();

    private static float[] All(LanguageModel lm, int[] tokens)
    {
        var logits = new float[tokens.Length * lm.Model.VocabSize];
        using var state = lm.Model.CreateState(512);
        state.AppendAll(tokens, logits);
        return logits;
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        float scale = 1e-6f;
        foreach (var e in expected) scale = Math.Max(scale, Math.Abs(e));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= RegroupingTolerance * scale, $"index {i}: {expected[i]} vs {actual[i]}");
    }

    [Fact]
    public void OneTokenAtATimeEqualsOneBatch()
    {
        using var lm = LanguageModel.Load(SyntheticModels.Get(Options), new LoadOptions { Threads = 2 });
        int v = lm.Model.VocabSize;
        var batch = All(lm, Tokens);
        using var state = lm.Model.CreateState(512);
        var logits = new float[v];
        for (int t = 0; t < Tokens.Length; t++)
        {
            state.Append(Tokens.AsSpan(t, 1), logits);
            AssertClose(batch.AsSpan(t * v, v), logits);
        }
        Assert.Equal(Tokens.Length, state.Position);
    }

    [Fact]
    public void LaterTokensDoNotChangeEarlierLogits()
    {
        using var lm = LanguageModel.Load(SyntheticModels.Get(Options), new LoadOptions { Threads = 1 });
        int v = lm.Model.VocabSize;
        var full = All(lm, Tokens);
        var prefix = All(lm, Tokens[..10]);
        Assert.Equal(prefix, full.AsSpan(0, 10 * v).ToArray());
    }

    [Fact]
    public void PromptsLongerThanOneBatchMatchShortChunks()
    {
        var tokens = Enumerable.Range(0, Quill.Models.Llama.LlamaState.MaxBatch + 37).Select(i => (i * 7 + 3) % 300).ToArray();
        using var lm = LanguageModel.Load(SyntheticModels.Get(Options), new LoadOptions { Threads = 2 });
        int v = lm.Model.VocabSize;
        var last = new float[v];
        using (var state = lm.Model.CreateState(tokens.Length))
            state.Append(tokens, last);
        var chunked = new float[v];
        using (var state = lm.Model.CreateState(tokens.Length))
            for (int i = 0; i < tokens.Length; i += 50)
                state.Append(tokens.AsSpan(i, Math.Min(50, tokens.Length - i)), chunked);
        AssertClose(last, chunked);
    }

    [Fact]
    public void TruncateThenAppendEqualsFreshState()
    {
        using var lm = LanguageModel.Load(SyntheticModels.Get(Options), new LoadOptions { Threads = 2 });
        int v = lm.Model.VocabSize;
        var expected = new float[v];
        var actual = new float[v];
        using var state = lm.Model.CreateState(64);
        state.Append(Tokens[..20], expected);
        state.Truncate(12);
        Assert.Equal(12, state.Position);
        state.Append(Tokens[12..20], actual);
        AssertClose(expected, actual);
    }

    [Fact]
    public void ThreadCountAndWeightLoadingDoNotChangeResults()
    {
        string path = SyntheticModels.Get(Options);
        float[] reference;
        using (var lm = LanguageModel.Load(path, new LoadOptions { Threads = 1 })) reference = All(lm, Tokens);
        using (var lm = LanguageModel.Load(path, new LoadOptions { Threads = 3, Loading = WeightLoading.Map }))
            Assert.Equal(reference, All(lm, Tokens));
    }

    [Fact]
    public void HugePageWeightsGiveTheSameLogits()
    {
        // Over 2 MiB of Q8_0 weights, so the copy really is asked for huge pages (and its groups repacked there).
        var options = new SyntheticModelOptions
        {
            Dim = 256, Layers = 2, Heads = 4, KvHeads = 2, FeedForwardDim = 512, VocabSize = 4096, Type = GgmlType.Q8_0,
        };
        string path = SyntheticModels.Get(options);
        Assert.True(new FileInfo(path).Length > AlignedMemory.HugePageBytes);
        int[] tokens = [.. Tokens.Select(t => t * 13 % 4096)];
        float[] reference;
        using (var lm = LanguageModel.Load(path, new LoadOptions { Threads = 1 })) reference = All(lm, tokens);
        using (var lm = LanguageModel.Load(path, new LoadOptions { Threads = 2, Loading = WeightLoading.CopyHugePages }))
            Assert.Equal(reference, All(lm, tokens));
    }

    [Fact]
    public void WeightsReadInSeveralPiecesMatchTheMappedFile()
    {
        // A 9,000 × 256 F32 embedding (9.2 MB) is read into the copy in three pieces of the 4 MiB staging buffer, the last one short.
        var options = new SyntheticModelOptions { Dim = 256, Layers = 1, Heads = 4, KvHeads = 2, FeedForwardDim = 512, VocabSize = 9000 };
        string path = SyntheticModels.Get(options);
        int[] tokens = [.. Tokens.Select(t => t * 29 % 9000), 8999];
        float[] mapped;
        using (var lm = LanguageModel.Load(path, new LoadOptions { Threads = 1, Loading = WeightLoading.Map })) mapped = All(lm, tokens);
        using (var lm = LanguageModel.Load(path, new LoadOptions { Threads = 1 }))
        {
            Assert.True((long)lm.Model.VocabSize * options.Dim * sizeof(float) > 2 * (4 << 20));
            Assert.Equal(mapped, All(lm, tokens));
        }
    }

    [Fact]
    public void FullContextIsAnErrorNotACorruption()
    {
        using var lm = LanguageModel.Load(SyntheticModels.Get(Options), new LoadOptions { Threads = 1 });
        using var state = lm.Model.CreateState(8);
        var logits = new float[lm.Model.VocabSize];
        state.Append(Tokens[..8], logits);
        var e = Assert.Throws<InvalidOperationException>(() => state.Append(Tokens[..1], logits));
        Assert.Contains("context is full", e.Message);
        Assert.Equal(8, state.Position);
    }
}
