// The training model against Quill's inference engine on the same GGUF, both ways: load, train-free forward, save.
using Quill.Formats.Gguf;
using Quill.Models;
using Quill.Models.Synthetic;
using Quill.Tensors;
using Quill.Training.Data;
using Quill.Training.Model;

namespace Quill.Training.Tests.Model;

public sealed class LlamaTrainingGgufTests : IDisposable
{
    private const float F32Tolerance = 2e-3f;
    private readonly string _folder = Directory.CreateTempSubdirectory("quill-train-gguf-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly int[] Tokens = [1, 17, 230, 45, 99, 3, 301, 12, 64];

    private static float[] InferenceLogits(string path)
    {
        // an F32 KV cache: the training model's attention is exact F32, the F16 cache would round every key and value
        using var model = LanguageModel.Load(path, new LoadOptions { KvCacheType = KvCacheType.F32 });
        using var state = model.Model.CreateState(32);
        var logits = new float[Tokens.Length * model.Model.VocabSize];
        state.AppendAll(Tokens, logits);
        return logits;
    }

    private static float[] TrainingLogits(LlamaTrainingModel model) =>
        model.ForwardLogits(new Batch(1, Tokens.Length, Tokens, new int[Tokens.Length], [Tokens.Length])).ToArray();

    private string Synthetic(GgmlType type, bool tied = false)
    {
        string path = Path.Combine(_folder, $"base-{type}-{tied}.gguf");
        SyntheticModelWriter.Write(path,
            new SyntheticModelOptions
            {
                Dim = 64, Layers = 2, Heads = 4, KvHeads = 2, FeedForwardDim = 96, VocabSize = 320, Type = type,
                TiedEmbeddings = tied
            });
        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LoadedModelGivesTheInferenceEnginesLogits(bool tied)
    {
        string path = Synthetic(GgmlType.F32, tied);
        var model = LlamaTrainingGguf.Load(path);
        AssertClose(InferenceLogits(path), TrainingLogits(model), F32Tolerance);
    }

    [Theory]
    [InlineData(GgmlType.F32, 2e-3f)]
    [InlineData(GgmlType.F16, 5e-3f)]
    [InlineData(GgmlType.Q8_0, 0.02f)]
    public void SavedModelLoadsInTheInferenceEngineWithTheSameLogits(GgmlType type, float tolerance)
    {
        var model = new LlamaTrainingModel(TinyLlamaConfigs.Make(vocab: 320, dim: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 96, context: 64));
        model.InitializeRandom(3);
        foreach (var p in model.Parameters.Parameters)
            for (int i = 0; i < p.Length; i++) p.Value[i] *= 20f; // make the logits large enough to compare meaningfully
        string tokenizerSource = Synthetic(GgmlType.F32);
        string saved = Path.Combine(_folder, $"trained-{type}.gguf");
        using (var source = GgufFile.Open(tokenizerSource)) LlamaTrainingGguf.Save(model, saved, source, type);
        var reloaded = LlamaTrainingGguf.Load(saved);
        if (type == GgmlType.Q8_0) AssertRelativelyClose(TrainingLogits(reloaded), InferenceLogits(saved), tolerance); // activations are quantized too
        else AssertClose(TrainingLogits(reloaded), InferenceLogits(saved), tolerance);
        if (type == GgmlType.F32)
            for (int i = 0; i < model.Parameters.Count; i++) Assert.Equal(model.Parameters[i].Value, reloaded.Parameters[i].Value);
    }

    [Fact]
    public void Q8RowsThatAreNotWholeBlocksAreRefused()
    {
        var model = new LlamaTrainingModel(TinyLlamaConfigs.Make(vocab: 320, dim: 48, layers: 1, heads: 4, kvHeads: 2, ffn: 96, context: 64));
        using var source = GgufFile.Open(Synthetic(GgmlType.F32));
        var e = Assert.Throws<ArgumentException>(() => LlamaTrainingGguf.Save(model, Path.Combine(_folder, "q8.gguf"), source, GgmlType.Q8_0));
        Assert.Contains("multiples of 32", e.Message);
        Assert.False(File.Exists(Path.Combine(_folder, "q8.gguf")));
    }

    [Fact]
    public void QuantizedBaseIsDequantizedOnLoad()
    {
        string path = Synthetic(GgmlType.Q8_0);
        var model = LlamaTrainingGguf.Load(path);
        AssertRelativelyClose(InferenceLogits(path), TrainingLogits(model), 0.02);
    }

    private static void AssertRelativelyClose(float[] expected, float[] actual, double tolerance)
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < actual.Length; i++) { diff += Math.Pow(actual[i] - expected[i], 2); norm += Math.Pow(expected[i], 2); }
        Assert.True(Math.Sqrt(diff / norm) < tolerance, $"relative error {Math.Sqrt(diff / norm)}");
    }

    [Fact]
    public void GptTwoFileIsRefusedWithOneLine()
    {
        string path = Path.Combine(_folder, "gpt2.gguf");
        SyntheticModelWriter.Write(path,
            new SyntheticModelOptions { Architecture = "gpt2", Dim = 64, Layers = 1, Heads = 4, KvHeads = 4, FeedForwardDim = 96, VocabSize = 320 });
        var e = Assert.ThrowsAny<Exception>(() => LlamaTrainingGguf.Load(path));
        Assert.Contains("gpt2.gguf", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    private static void AssertClose(float[] expected, float[] actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        float worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        Assert.True(worst <= tolerance, $"largest logit difference {worst} > {tolerance}");
    }
}
