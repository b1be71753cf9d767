// Folds a LoRA adapter file into its base model and writes a plain llama GGUF; not the runtime application (LlamaLora).
using Quill.Formats;
using Quill.Formats.Gguf;
using Quill.Models.Llama;
using Quill.Tensors;
using Quill.Training.Layers;
using Quill.Training.Model;

namespace Quill.Training.Lora;

public static class LoraMerge
{
    /// <summary>
    /// W += (alpha/rank)·B·A for every adapted weight of <paramref name="adapterPath"/> on the base at
    /// <paramref name="basePath"/> (dequantized to F32), written to <paramref name="outputPath"/> as <paramref name="type"/>
    /// (F32, F16 or BF16) with the base's tokenizer. Everything is checked before the output is written, atomically.
    /// </summary>
    public static void Merge(string basePath, string adapterPath, string outputPath, GgmlType type = GgmlType.F32)
    {
        if (type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16))
            throw new ArgumentException($"a merged model is written as F32, F16 or BF16, not {type}");
        var adapter = LoraAdapterGguf.Read(adapterPath);
        var model = LlamaTrainingGguf.Load(basePath);
        string adapterName = Path.GetFileName(adapterPath);
        if (adapter.Architecture != model.Config.Architecture)
            throw new ModelFormatException($"{adapterName}: expected an adapter for a '{model.Config.Architecture}' model, found '{adapter.Architecture}', " +
                $"in general.architecture");
        var weights = LlamaTrainingGguf.Tensors(model).ToDictionary(t => t.Name);
        var merges = new List<(float[] Weight, LoraWeight Lora)>();
        foreach (var w in adapter.Weights)
        {
            if (!weights.TryGetValue(w.Target, out var t) || !t.IsMatrix)
                throw new ModelFormatException($"{adapterName}: expected a weight of the base model, found '{w.Target}', in the tensor list");
            if (t.Columns != w.InFeatures || t.Rows != w.OutFeatures)
                throw new ModelFormatException($"{adapterName}: expected In {t.Columns}, Out {t.Rows} as the base's '{w.Target}', found In {w.InFeatures}, " +
                    $"Out {w.OutFeatures}, in '{w.Target}.lora_a/b'");
            merges.Add((t.Values, w));
        }
        foreach (var (weight, lora) in merges) Fold(weight, lora);
        using var source = GgufFile.Open(basePath);
        LlamaTrainingGguf.Save(model, outputPath, source, type, source.GetString("general.name") is { } n ? n + "-lora-merged" : null);
    }

    /// <summary>W (Out, In) += s·B·A for one adapted weight of a file (<see cref="LoraAdapter.Fold"/>).</summary>
    public static void Fold(float[] weight, LoraWeight lora)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(lora);
        if (weight.Length != (long)lora.InFeatures * lora.OutFeatures)
            throw new ArgumentException($"'{lora.Target}': the weight holds {weight.Length} values, the adapter expects {lora.OutFeatures}×{lora.InFeatures}");
        LoraAdapter.Fold(weight, lora.A, lora.B, lora.InFeatures, lora.OutFeatures, lora.Rank, lora.Scale);
    }
}
