// Properties of the GPT-2 forward pass that need no peer: batching, causality, capacity, hidden states, bad files.
using Quill.Formats;
using Quill.Formats.Gguf;
using Quill.Models;
using Quill.Models.Gpt2;
using Quill.Models.Synthetic;

namespace Quill.Tests.Models.Gpt2;

public class Gpt2StateTests
{
    // Same arithmetic in a different grouping (batch vs single token) differs only by float rounding.
    private const float RegroupingTolerance = 1e-4f;

    private static readonly SyntheticModelOptions Options = Gpt2DifferentialTests.Shape(dim: 64, heads: 4, vocab: 300, ffn: 96, context: 600);
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
    public void LoadsAsGpt2()
    {
        using var lm = LanguageModel.Load(SyntheticModels.Get(Options), new LoadOptions { Threads = 1 });
        var model = Assert.IsType<Gpt2Model>(lm.Model);
        Assert.Equal(600, model.ContextLength);
        Assert.Equal(300, model.VocabSize);
        Assert.Equal(299, lm.Tokenizer.EosId);
        Assert.True(lm.Tokenizer.IsEndOfGeneration(299));
    }

    [Theory]
    [InlineData(Quill.Tensors.GgmlType.F32)]
    [InlineData(Quill.Tensors.GgmlType.F16)]
    [InlineData(Quill.Tensors.GgmlType.Q8_0)]
    public void OneTokenAtATimeEqualsOneBatch(Quill.Tensors.GgmlType type)
    {
        // Every output element is one dot product whichever kernel (4×4 tile or row) computes it, so the logits agree
        // bit for bit, not just within rounding.
        using var lm = LanguageModel.Load(SyntheticModels.Get(Options with { Type = type }), new LoadOptions { Threads = 2 });
        int v = lm.Model.VocabSize;
        var batch = All(lm, Tokens);
        using var state = lm.Model.CreateState(512);
        var logits = new float[v];
        for (int t = 0; t < Tokens.Length; t++)
        {
            state.Append(Tokens.AsSpan(t, 1), logits);
            Assert.True(batch.AsSpan(t * v, v).SequenceEqual(logits), $"{type}: token {t} differs between batch and one at a time");
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
        var tokens = Enumerable.Range(0, Gpt2State.MaxBatch + 37).Select(i => (i * 7 + 3) % 300).ToArray();
        using var lm = LanguageModel.Load(SyntheticModels.Get(Options), new LoadOptions { Threads = 2 });
        var last = new float[lm.Model.VocabSize];
        using (var state = lm.Model.CreateState(tokens.Length))
            state.Append(tokens, last);
        var chunked = new float[lm.Model.VocabSize];
        using (var state = lm.Model.CreateState(tokens.Length))
            for (int i = 0; i < tokens.Length; i += 50)
                state.Append(tokens.AsSpan(i, Math.Min(50, tokens.Length - i)), chunked);
        AssertClose(last, chunked);
    }

    [Fact]
    public void TruncateThenAppendEqualsFreshState()
    {
        using var lm = LanguageModel.Load(SyntheticModels.Get(Options), new LoadOptions { Threads = 2 });
        var expected = new float[lm.Model.VocabSize];
        var actual = new float[lm.Model.VocabSize];
        using (var fresh = lm.Model.CreateState(64)) fresh.Append(Tokens[..12], expected);
        using var state = lm.Model.CreateState(64);
        state.Append(Tokens[..20], actual);
        state.Truncate(8);
        state.Append(Tokens[8..12], actual);
        AssertClose(expected, actual);
    }

    [Fact]
    public void CapacityStopsAtTheLearnedPositions()
    {
        string path = SyntheticModels.Get(Gpt2DifferentialTests.Shape(context: 16));
        using var lm = LanguageModel.Load(path, new LoadOptions { Threads = 1 });
        using var state = lm.Model.CreateState(100);
        Assert.Equal(16, state.ContextLength);
        var logits = new float[lm.Model.VocabSize];
        state.Append(Enumerable.Range(1, 16).ToArray(), logits);
        var e = Assert.Throws<InvalidOperationException>(() => state.Append([5], logits));
        Assert.Contains("16 learned positions", e.Message);
    }

    [Fact]
    public void HiddenStatesThroughTheHeadGiveTheLogits()
    {
        using var model = Gpt2Model.Open(SyntheticModels.Get(Options), threads: 1);
        int c = model.Config.Dim, v = model.VocabSize;
        var hidden = new float[Tokens.Length * c];
        var logits = new float[Tokens.Length * v];
        using (var state = model.CreateState(64)) state.AppendHidden(Tokens, hidden);
        using (var state = model.CreateState(64)) state.AppendAll(Tokens, logits);
        var row = new float[c];
        int last = Tokens.Length - 1;
        var expected = new float[v];
        for (int id = 0; id < v; id++)
        {
            model.Weights.Output.DequantizeRow(id, row, Quill.Tensors.Quantization.QuantFormats.Get(model.Weights.Output.Type).Dequantize);
            expected[id] = System.Numerics.Tensors.TensorPrimitives.Dot(row, hidden.AsSpan(last * c, c));
        }
        AssertClose(expected, logits.AsSpan(last * v, v));
    }

    public static TheoryData<string, string> BrokenFiles => new()
    {
        { "missing-tensor", "tensor 'blk.0.attn_qkv.bias' is missing" },
        { "wrong-shape", "tensor 'blk.0.attn_qkv.weight' has shape [32, 384], expected [64, 192]" },
        { "short-positions", "tensor 'position_embd.weight' has shape [64, 100], expected [64, 256]" },
        { "missing-epsilon", "gpt2.attention.layer_norm_epsilon" },
    };

    [Theory, MemberData(nameof(BrokenFiles))]
    public void BrokenFilesFailWithOneLine(string kind, string expected)
    {
        string path = Broken(kind);
        try
        {
            var e = Assert.ThrowsAny<ModelFormatException>(() => LanguageModel.Load(path, new LoadOptions { Threads = 1 }));
            Assert.Contains(expected, e.Message);
            Assert.Contains(Path.GetFileName(path), e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string Broken(string kind)
    {
        using var valid = GgufFile.Open(SyntheticModels.Get(Gpt2DifferentialTests.Shape()));
        var writer = new GgufWriter();
        foreach (var (key, value) in valid.Metadata)
            if (!(kind == "missing-epsilon" && key == "gpt2.attention.layer_norm_epsilon")) writer.Set(key, value.Value);
        foreach (var t in valid.Tensors)
        {
            var shape = t.Shape;
            var data = valid.GetTensorData(t).ToArray();
            if (kind == "missing-tensor" && t.Name == TensorNames.AttentionQkvBias(0)) continue;
            if (kind == "wrong-shape" && t.Name == TensorNames.AttentionQkv(0)) shape = [shape[0] / 2, shape[1] * 2];
            if (kind == "short-positions" && t.Name == TensorNames.PositionEmbedding)
            {
                shape = [shape[0], 100];
                data = data[..(int)(shape[0] * 100 * 4)];
            }
            writer.AddTensor(t.Name, t.Type, shape, data);
        }
        string path = Path.Combine(Path.GetTempPath(), $"quill-gpt2-{kind}-{Guid.NewGuid():N}.gguf");
        writer.WriteTo(path);
        return path;
    }
}
