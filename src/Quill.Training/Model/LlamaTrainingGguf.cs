// Moves a Llama training model to and from GGUF (llama.cpp's keys and tensor names).
using Quill.Formats;
using Quill.Formats.Gguf;
using Quill.Models;
using Quill.Models.Llama;
using Quill.Tensors;
using Quill.Tensors.Quantization;

namespace Quill.Training.Model;

public static class LlamaTrainingGguf
{
    /// <summary>
    /// Loads a llama GGUF's weights as F32 masters (quantized tensors are dequantized); a missing output.weight (tied
    /// embeddings) becomes an untied copy of token_embd. Shapes are checked against the header before anything is read.
    /// </summary>
    public static LlamaTrainingModel Load(string path, TrainingModelOptions? options = null)
    {
        using var file = GgufFile.Open(path);
        var config = LlamaConfig.FromGguf(file);
        string name = Path.GetFileName(path);
        if (config.Architecture != "llama" || config.SlidingWindow != 0)
            throw new ModelFormatException($"{name}: training supports the llama architecture, not '{config.Architecture}'");
        var model = new LlamaTrainingModel(config, options);
        foreach (var p in model.Parameters.Parameters)
        {
            string tensor = p.Name;
            if (tensor == TensorNames.Output && file.FindTensor(tensor) is null) tensor = TensorNames.TokenEmbedding;
            ReadInto(file, name, tensor, p.Value);
        }
        return model;
    }

    /// <summary>
    /// Writes the base weights (adapters are not merged) as a llama GGUF of
    /// <paramref name="type"/> (F32, F16, BF16 or Q8_0 for matrices; norms stay F32), with the tokenizer.* keys (and the chat
    /// template) copied from <paramref name="tokenizerSource"/>; <paramref name="chatTemplate"/>, when given, replaces the
    /// template. Written atomically.
    /// </summary>
    public static void Save(LlamaTrainingModel model, string path, GgufFile tokenizerSource, GgmlType type = GgmlType.F32, string? modelName = null,
        string? chatTemplate = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizerSource);
        if (type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.Q8_0))
            throw new ArgumentException($"a trained model is written as F32, F16, BF16 or Q8_0, not {type}");
        int block = GgmlTypeInfo.BlockSize(type);
        foreach (var (tensor, _, isMatrix, columns, _) in Tensors(model))
            if (isMatrix && columns % block != 0)
                throw new ArgumentException($"{type} needs rows that are multiples of {block} values, but '{tensor}' has rows of {columns}");
        var c = model.Config;
        var writer = new GgufWriter();
        c.WriteTo(writer);
        writer.Set("general.name", modelName ?? $"quill-trained-{c.Dim}x{c.Layers}");
        writer.Set("general.file_type", GgufFileType.Of(type)!.Value);
        foreach (var (key, value) in tokenizerSource.Metadata)
            if (key.StartsWith("tokenizer.", StringComparison.Ordinal)) writer.Set(key, value.Value);
        if (chatTemplate is not null) writer.Set("tokenizer.chat_template", chatTemplate);

        foreach (var (tensor, values, isMatrix, columns, rows) in Tensors(model))
        {
            var t = isMatrix ? type : GgmlType.F32;
            var bytes = new byte[GgmlTypeInfo.RowBytes(t, values.Length)];
            QuantFormats.Get(t).Quantize!(values, bytes);
            writer.AddTensor(tensor, t, isMatrix ? [columns, rows] : [columns], bytes);
        }
        writer.WriteTo(path);
    }

    /// <summary>Every base tensor with its GGUF name and shape (ne0 = columns), in the order llama.cpp writes them.</summary>
    public static IEnumerable<(string Name, float[] Values, bool IsMatrix, int Columns, int Rows)> Tensors(LlamaTrainingModel model)
    {
        var c = model.Config;
        yield return (TensorNames.TokenEmbedding, model.TokenEmbedding.Weight, true, c.Dim, c.VocabSize);
        for (int l = 0; l < c.Layers; l++)
        {
            var b = model.Blocks[l];
            yield return (TensorNames.AttentionNorm(l), b.AttentionNorm.Weight, false, c.Dim, 1);
            yield return (TensorNames.AttentionQuery(l), b.Query.Weight, true, b.Query.InFeatures, b.Query.OutFeatures);
            yield return (TensorNames.AttentionKey(l), b.Key.Weight, true, b.Key.InFeatures, b.Key.OutFeatures);
            yield return (TensorNames.AttentionValue(l), b.Value.Weight, true, b.Value.InFeatures, b.Value.OutFeatures);
            yield return (TensorNames.AttentionOutput(l), b.Output.Weight, true, b.Output.InFeatures, b.Output.OutFeatures);
            yield return (TensorNames.FeedForwardNorm(l), b.FeedForwardNorm.Weight, false, c.Dim, 1);
            yield return (TensorNames.FeedForwardGate(l), b.Gate.Weight, true, b.Gate.InFeatures, b.Gate.OutFeatures);
            yield return (TensorNames.FeedForwardUp(l), b.Up.Weight, true, b.Up.InFeatures, b.Up.OutFeatures);
            yield return (TensorNames.FeedForwardDown(l), b.Down.Weight, true, b.Down.InFeatures, b.Down.OutFeatures);
        }
        yield return (TensorNames.OutputNorm, model.OutputNorm.Weight, false, c.Dim, 1);
        yield return (TensorNames.Output, model.Head.Weight, true, c.Dim, c.VocabSize);
    }

    private static void ReadInto(GgufFile file, string name, string tensor, float[] destination)
    {
        var info = file.GetTensor(tensor);
        if (info.ElementCount != destination.Length)
            throw new ModelFormatException($"{name}: tensor '{tensor}' has {info.ElementCount} values, expected {destination.Length}");
        if (!QuantFormats.TryGet(info.Type, out var format))
            throw new ModelFormatException($"{name}: tensor '{tensor}' has type {info.Type}, which Quill cannot read");
        int columns = (int)info.Shape[0];
        int rows = destination.Length / columns;
        long rowBytes = GgmlTypeInfo.RowBytes(info.Type, columns);
        var data = file.GetTensorData(info);
        if (data.Length < rowBytes * rows)
            throw new ModelFormatException($"{name}: tensor '{tensor}' holds {data.Length} bytes, expected {rowBytes * rows}");
        for (int r = 0; r < rows; r++)
            format.Dequantize(data.Slice((int)(r * rowBytes), (int)rowBytes), destination.AsSpan(r * columns, columns));
    }
}
