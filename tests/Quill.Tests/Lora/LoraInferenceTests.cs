// LoRA adapters applied by the inference engine at run time: batch invariance with an adapter, and adapters that do
// not fit the model refused at load with one line.
using Quill.Formats;
using Quill.Models;
using Quill.Tensors;
using Quill.Tests.Models;
using static Quill.Tests.Lora.LoraTestFiles;

namespace Quill.Tests.Lora;

public sealed class LoraInferenceTests : IDisposable
{
    // The batched and single-sequence states share one forward pass; they may differ only by float regrouping.
    private const float SingleStateRelativeTolerance = 1e-5f;

    // The adapter must move the logits far more than float noise, or the comparisons prove nothing.
    private const float MinimumAdapterEffect = 0.05f;

    private readonly string _folder = Directory.CreateTempSubdirectory("quill-lora-engine-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static int[] TokensOf(int sequence, int length) =>
        Enumerable.Range(0, length).Select(i => (i * 37 + sequence * 53 + 11) % 300).ToArray();

    [Theory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.Q8_0)]
    public void BatchedStepsWithAnAdapterEqualEachSequenceAlone(GgmlType type)
    {
        string adapter = Write(_folder, Random(BaseOptions(type)));
        using var lm = LanguageModel.Load(Base(type), new LoadOptions { Threads = 2, LoraAdapters = [new LoraAdapterOption(adapter)] });
        int vocab = lm.Model.VocabSize;
        int[] lengths = [7, 1, 4];
        var tokens = lengths.SelectMany((n, s) => TokensOf(s, n)).ToArray();
        var sequences = new BatchSequence[3];
        for (int s = 0, offset = 0; s < 3; offset += lengths[s], s++) sequences[s] = new BatchSequence(s, offset, lengths[s]);
        var mixed = new float[3 * vocab];
        using (var state = lm.Model.CreateBatchedState(3, 32)) state.Decode(sequences, tokens, mixed);

        for (int s = 0; s < 3; s++)
        {
            var alone = new float[vocab];
            using (var state = lm.Model.CreateBatchedState(3, 32))
                state.Decode([new BatchSequence((s + 1) % 3, 0, lengths[s])], TokensOf(s, lengths[s]), alone);
            Assert.True(alone.AsSpan().SequenceEqual(mixed.AsSpan(s * vocab, vocab)), $"sequence {s} differs when batched");

            using var single = lm.Model.CreateState(32);
            var logits = new float[vocab];
            single.Append(TokensOf(s, lengths[s]), logits);
            Assert.True(MaxDifference(logits, alone) <= SingleStateRelativeTolerance * MaxAbs(logits), $"sequence {s}: single and batched states differ");
        }

        var plain = Logits(Base(type), TokensOf(0, 7));
        var adapted = Logits(Base(type), TokensOf(0, 7), new LoraAdapterOption(adapter));
        Assert.True(MaxDifference(plain, adapted) > MinimumAdapterEffect);
    }

    [Fact]
    public void PromptChunkingDoesNotChangeTheAdaptedLogits()
    {
        string adapter = Write(_folder, Random(BaseOptions(), projections: ["attn_output", "ffn_down"]));
        using var lm = LanguageModel.Load(Base(), new LoadOptions { Threads = 2, LoraAdapters = [new LoraAdapterOption(adapter)] });
        int vocab = lm.Model.VocabSize;
        var tokens = TokensOf(4, 9);
        var whole = new float[vocab];
        using (var state = lm.Model.CreateState(16)) state.Append(tokens, whole);
        var stepwise = new float[vocab];
        using (var state = lm.Model.CreateState(16))
            foreach (int t in tokens) state.Append([t], stepwise);
        Assert.True(MaxDifference(whole, stepwise) <= SingleStateRelativeTolerance * MaxAbs(whole));
    }

    public static TheoryData<string, string> Misfits() => new()
    {
        { "architecture", "expected an adapter for a 'llama' model, found 'qwen2'" },
        { "narrower model", "expected In 64, Out 64 as the model's 'blk.0.attn_q.weight', found In 32, Out 32" },
        { "deeper model", "expected a weight of this 2-layer model, found 'blk.2.attn_q.weight'" },
    };

    [Theory, MemberData(nameof(Misfits))]
    public void AdapterThatDoesNotFitIsRefusedAtLoad(string misfit, string expected)
    {
        var options = misfit switch
        {
            "architecture" => BaseOptions() with { Architecture = "qwen2" },
            "narrower model" => BaseOptions() with { Dim = 32 },
            _ => BaseOptions() with { Layers = 3 },
        };
        var adapter = Random(options);
        if (misfit == "deeper model")
            adapter = adapter with { Weights = [.. adapter.Weights.Where(w => w.Target.StartsWith("blk.2.", StringComparison.Ordinal))] };
        string path = Write(_folder, adapter);

        var e = Assert.Throws<ModelFormatException>(() => LanguageModel.Load(Base(), new LoadOptions { LoraAdapters = [new LoraAdapterOption(path)] }));
        Assert.StartsWith("adapter.gguf: ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void GptTwoModelsRefuseAdapters()
    {
        string path = Write(_folder, Random(BaseOptions()));
        string gpt2 = SyntheticModels.Get(Quill.Tests.Models.Gpt2.Gpt2DifferentialTests.Shape(dim: 64, heads: 4, vocab: 300, ffn: 96, context: 128));
        var e = Assert.Throws<ModelFormatException>(() => LanguageModel.Load(gpt2, new LoadOptions { LoraAdapters = [new LoraAdapterOption(path)] }));
        Assert.Contains("LoRA adapters apply to llama", e.Message);
    }
}
