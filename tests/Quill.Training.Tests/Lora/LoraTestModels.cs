// Tiny synthetic base models and trained-looking LoRA adapters for the LoRA tests; not tests themselves.
using Quill.Models.Synthetic;
using Quill.Tensors;
using Quill.Training.Data;
using Quill.Training.Model;

namespace Quill.Training.Tests.Lora;

internal static class LoraTestModels
{
    public const int Rank = 4;
    public const float Alpha = 8f;
    public static readonly int[] Tokens = [1, 17, 230, 45, 99, 3, 301, 12, 64];
    public static readonly string[] AllTargets = ["q", "k", "v", "o", "gate", "up", "down"];

    /// <summary>A llama GGUF of random weights: C 64, 2 layers, 4 heads (2 KV), F 96, V 320.</summary>
    public static string WriteBase(string folder, GgmlType type = GgmlType.F32)
    {
        string path = Path.Combine(folder, $"base-{type}.gguf");
        SyntheticModelWriter.Write(path,
            new SyntheticModelOptions { Dim = 64, Layers = 2, Heads = 4, KvHeads = 2, FeedForwardDim = 96, VocabSize = 320, Type = type });
        return path;
    }

    /// <summary>The base with adapters on <paramref name="targets"/> whose B is random (as after training), so they change the logits.</summary>
    public static LlamaTrainingModel WithRandomLora(string basePath, IReadOnlyCollection<string>? targets = null, ulong seed = 7)
    {
        var model = LlamaTrainingGguf.Load(basePath);
        model.AttachLora(Rank, Alpha, targets ?? AllTargets, seed);
        var rng = new SplitMix64(seed + 1);
        foreach (var p in model.Parameters.Parameters)
            if (p.Name.EndsWith(".lora_b", StringComparison.Ordinal))
                for (int i = 0; i < p.Length; i++) p.Value[i] = (float)(rng.NextDouble() * 2 - 1) * 0.2f;
        return model;
    }

    public static float[] TrainingLogits(LlamaTrainingModel model) =>
        model.ForwardLogits(new Batch(1, Tokens.Length, Tokens, new int[Tokens.Length], [Tokens.Length])).ToArray();

    public static float[] InferenceLogits(string path, LoadOptions? options = null)
    {
        using var model = LanguageModel.Load(path, options);
        using var state = model.Model.CreateState(32);
        var logits = new float[Tokens.Length * model.Model.VocabSize];
        state.AppendAll(Tokens, logits);
        return logits;
    }

    public static float MaxDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
