// A training model's LoRA adapters to and from llama.cpp's GGUF adapter format; the format itself is Quill's LoraAdapterGguf.
using Quill.Formats;
using Quill.Formats.Gguf;
using Quill.Models;
using Quill.Models.Llama;
using Quill.Training.Model;

namespace Quill.Training.Lora;

/// <summary>
/// Save writes the adapters attached by <see cref="LlamaTrainingModel.AttachLora"/> (A, B and alpha as they are, F32)
/// so that llama.cpp (--lora) and Quill (generate --lora, LoadOptions.LoraAdapters) apply them to the base model;
/// Load reads one back; AttachTo puts one on a freshly loaded base, to continue training or to merge.
/// </summary>
public static class LoraAdapterFile
{
    /// <summary>Short projection names as AttachLora takes them, with their GGUF weight names.</summary>
    private static readonly (string Short, Func<int, string> Gguf)[] Targets =
    [
        ("q", TensorNames.AttentionQuery), ("k", TensorNames.AttentionKey), ("v", TensorNames.AttentionValue),
        ("o", TensorNames.AttentionOutput), ("gate", TensorNames.FeedForwardGate), ("up", TensorNames.FeedForwardUp),
        ("down", TensorNames.FeedForwardDown),
    ];

    /// <summary>
    /// Writes the attached adapters as a GGUF LoRA adapter for <paramref name="baseModel"/> (its architecture is
    /// recorded, and every adapted weight is checked to exist there with the same shape). Written atomically.
    /// </summary>
    public static void Save(LlamaTrainingModel model, string path, GgufFile baseModel, string? adapterName = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(baseModel);
        if (!model.HasLora) throw new InvalidOperationException("the model has no LoRA adapters attached (AttachLora first)");
        string baseName = Path.GetFileName(baseModel.Path);
        string arch = baseModel.RequireString("general.architecture");
        var weights = new List<LoraWeight>();
        float alpha = 0;
        for (int l = 0; l < model.Blocks.Count; l++)
        {
            foreach (var (shortName, layer) in model.Blocks[l].Projections())
            {
                if (layer.Lora is not { } lora) continue;
                string target = Gguf(shortName, l);
                var info = baseModel.FindTensor(target);
                if (info is null || info.Shape.Length != 2 || info.Shape[0] != layer.InFeatures || info.Shape[1] != layer.OutFeatures)
                    throw new ModelFormatException($"{baseName}: expected tensor '{target}' of shape [{layer.InFeatures}, {layer.OutFeatures}] for the " +
                        $"adapter, found {(info is null ? "none" : $"[{string.Join(", ", info.Shape)}]")}");
                alpha = lora.Alpha;
                weights.Add(new LoraWeight(target, lora.Rank, lora.Alpha, layer.InFeatures, layer.OutFeatures,
                    (float[])lora.A.Weight.Clone(), (float[])lora.B.Weight.Clone()));
            }
        }
        LoraAdapterGguf.Write(new LoraAdapterWeights(arch, alpha, weights), path, adapterName);
    }

    /// <summary>Reads and checks an adapter file (one-line <see cref="ModelFormatException"/>s naming it).</summary>
    public static LoraAdapterWeights Load(string path) => LoraAdapterGguf.Read(path);

    /// <summary>
    /// Attaches <paramref name="adapter"/> to a model without adapters (freezing its base as AttachLora does) and copies
    /// A and B in. The adapter must use one rank and adapt the same projections in every block, as AttachLora makes them;
    /// an alpha of 0 (llama.cpp: scale 1) becomes alpha = rank.
    /// </summary>
    public static void AttachTo(LlamaTrainingModel model, LoraAdapterWeights adapter)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(adapter);
        if (adapter.Architecture != model.Config.Architecture)
            throw new ArgumentException($"the adapter is for a '{adapter.Architecture}' model, this one is '{model.Config.Architecture}'");
        var byTarget = adapter.Weights.ToDictionary(w => w.Target);
        int rank = adapter.Weights[0].Rank;
        var targets = Targets.Where(t => byTarget.ContainsKey(t.Gguf(0))).Select(t => t.Short).ToList();
        int expected = targets.Count * model.Blocks.Count;
        if (adapter.Weights.Any(w => w.Rank != rank) || adapter.Weights.Count != expected
            || !Enumerable.Range(0, model.Blocks.Count).All(l => targets.All(t => byTarget.ContainsKey(Gguf(t, l)))))
            throw new ArgumentException($"AttachTo needs one rank and the same projections in all {model.Blocks.Count} blocks; the adapter has " +
                $"{adapter.Weights.Count} weights of ranks {string.Join(", ", adapter.Weights.Select(w => w.Rank).Distinct())}");
        model.AttachLora(rank, adapter.Alpha == 0f ? rank : adapter.Alpha, targets, seed: 0);
        for (int l = 0; l < model.Blocks.Count; l++)
        {
            foreach (var (shortName, layer) in model.Blocks[l].Projections())
            {
                if (layer.Lora is not { } lora) continue;
                var w = byTarget[Gguf(shortName, l)];
                if (w.InFeatures != layer.InFeatures || w.OutFeatures != layer.OutFeatures)
                    throw new ArgumentException($"'{w.Target}' of the adapter is In {w.InFeatures}, Out {w.OutFeatures}; the model's is In " +
                        $"{layer.InFeatures}, Out {layer.OutFeatures}");
                w.A.CopyTo(lora.A.Weight, 0);
                w.B.CopyTo(lora.B.Weight, 0);
            }
        }
    }

    private static string Gguf(string shortName, int layer) => Targets.First(t => t.Short == shortName).Gguf(layer);
}
