// Reads and writes BERT encoders as GGUF the way llama.cpp's convert_hf_to_gguf.py writes them (architecture "bert",
// WordPiece vocab in phantom-space form); tensors written as F32. Not a quantizer.
using Quill.Embeddings;
using Quill.Formats;
using Quill.Formats.Gguf;
using Quill.Tensors;
using Quill.Tensors.Quantization;

namespace Quill.Models.Bert;

public static class BertGguf
{
    public const string Architecture = "bert";

    /// <summary>llama.cpp's pooling types (LLAMA_POOLING_TYPE_MEAN, _CLS); max pooling has none.</summary>
    private const uint PoolingMean = 1, PoolingCls = 2;

    /// <summary>The checkpoint of an open GGUF file (F32, F16, BF16 or quantized tensors, expanded to F32).</summary>
    public static BertCheckpoint Read(GgufFile file)
    {
        string source = Path.GetFileName(file.Path);
        string? architecture = file.GetString("general.architecture");
        if (architecture != Architecture)
            throw new ModelFormatException($"{source}: expected an encoder (general.architecture = \"bert\"), found \"{architecture
                ?? "none"}\"; decoders such as llama cannot embed text here");
        string a = Architecture;
        var pooling = file.GetInteger($"{a}.pooling_type") == PoolingCls ? Pooling.Cls : Pooling.Mean;
        var tokenEmbedding = file.GetTensor(BertTensorNames.TokenEmbedding);
        var config = new BertConfig(
            VocabSize: checked((int)tokenEmbedding.Shape[^1]),
            Dim: (int)file.RequireInteger($"{a}.embedding_length"),
            Layers: (int)file.RequireInteger($"{a}.block_count"),
            Heads: (int)file.RequireInteger($"{a}.attention.head_count"),
            FeedForwardDim: (int)file.RequireInteger($"{a}.feed_forward_length"),
            MaxPositions: (int)file.RequireInteger($"{a}.context_length"),
            TokenTypes: file.FindTensor(BertTensorNames.TokenTypes) is { } types ? checked((int)types.Shape[^1]) : 1,
            LayerNormEpsilon: file.RequireFloat32($"{a}.attention.layer_norm_epsilon"),
            Pooling: pooling).Validate(source);
        var tensors = new Dictionary<string, BertTensor>(StringComparer.Ordinal);
        foreach (var (name, rows, columns) in BertCheckpoint.Layout(config))
        {
            var info = file.FindTensor(name);
            if (info is null && name == BertTensorNames.TokenTypes) { tensors[name] = BertTensor.Allocate(1, config.Dim); continue; }
            if (info is null) throw new ModelFormatException($"{source}: expected BERT tensor '{name}', found none");
            long expectedRows = info.Shape.Length == 2 ? info.Shape[1] : 1;
            if (info.Shape[0] != columns || expectedRows != rows || info.Shape.Length > 2)
                throw new ModelFormatException($"{source}: expected tensor '{name}' of shape [{columns}, {rows}], found [{string.Join(", ", info.Shape)}]");
            if (!QuantFormats.TryGet(info.Type, out var format))
                throw new ModelFormatException($"{source}: expected tensor '{name}' in a type Quill reads, found {info.Type}");
            var tensor = BertTensor.Allocate(rows, columns);
            var data = file.GetTensorData(info);
            int rowBytes = (int)GgmlTypeInfo.RowBytes(info.Type, columns);
            for (int r = 0; r < rows; r++) format.Dequantize(data.Slice(r * rowBytes, rowBytes), tensor.Row(r));
            tensors[name] = tensor;
        }
        string[]? tokens = file.GetStringArray("tokenizer.ggml.tokens");
        BertVocabulary? vocabulary = null;
        if (tokens is not null)
        {
            if (file.GetString("tokenizer.ggml.model") != "bert")
                throw new ModelFormatException($"{source}: expected tokenizer.ggml.model \"bert\" (WordPiece), found " +
                    $"\"{file.GetString("tokenizer.ggml.model")}\"");
            vocabulary = BertVocabulary.FromGguf(tokens, file.GetInt32Array("tokenizer.ggml.token_type"), source);
        }
        string modelName = file.GetString("general.name") ?? Path.GetFileNameWithoutExtension(file.Path);
        return new BertCheckpoint(modelName, config, tensors, vocabulary);
    }

    /// <summary>Writes <paramref name="checkpoint"/> (which needs a vocabulary) as an F32 "bert" GGUF, atomically.</summary>
    public static void Write(BertCheckpoint checkpoint, string path)
    {
        var vocabulary = checkpoint.Vocabulary
            ?? throw new ArgumentException($"{checkpoint.Name}: a GGUF encoder needs a WordPiece vocabulary; pass a vocab.txt", nameof(checkpoint));
        var c = checkpoint.Config;
        if (vocabulary.Tokens.Count != c.VocabSize)
            throw new InvalidDataException($"{vocabulary.Source}: expected {c.VocabSize} tokens (the model's vocabulary), found {vocabulary.Tokens.Count}");
        var writer = new GgufWriter();
        string a = Architecture;
        writer.Set("general.architecture", a);
        writer.Set("general.name", checkpoint.Name);
        writer.Set("general.file_type", 0u);
        writer.Set($"{a}.context_length", (uint)c.MaxPositions);
        writer.Set($"{a}.embedding_length", (uint)c.Dim);
        writer.Set($"{a}.feed_forward_length", (uint)c.FeedForwardDim);
        writer.Set($"{a}.block_count", (uint)c.Layers);
        writer.Set($"{a}.attention.head_count", (uint)c.Heads);
        writer.Set($"{a}.attention.layer_norm_epsilon", c.LayerNormEpsilon);
        writer.Set($"{a}.attention.causal", false);
        if (c.Pooling != Pooling.Max) writer.Set($"{a}.pooling_type", c.Pooling == Pooling.Cls ? PoolingCls : PoolingMean);
        var (tokens, types) = vocabulary.ToGguf();
        writer.Set("tokenizer.ggml.model", "bert");
        writer.Set("tokenizer.ggml.pre", "default");
        writer.Set("tokenizer.ggml.tokens", tokens);
        writer.Set("tokenizer.ggml.token_type", types);
        writer.Set("tokenizer.ggml.token_type_count", (uint)c.TokenTypes);
        SetSpecial(writer, vocabulary, "unknown_token_id", "[UNK]");
        SetSpecial(writer, vocabulary, "seperator_token_id", "[SEP]"); // llama.cpp's spelling
        SetSpecial(writer, vocabulary, "padding_token_id", "[PAD]");
        SetSpecial(writer, vocabulary, "cls_token_id", "[CLS]");
        SetSpecial(writer, vocabulary, "mask_token_id", "[MASK]");
        foreach (var (name, rows, columns) in BertCheckpoint.Layout(c))
        {
            var tensor = checkpoint.Get(name, rows, columns);
            long[] shape = rows == 1 && !name.EndsWith("embd.weight", StringComparison.Ordinal) && name != BertTensorNames.TokenTypes ? [columns] : [columns,
                rows];
            writer.AddTensor(name, GgmlType.F32, shape, System.Runtime.InteropServices.MemoryMarshal.AsBytes(tensor.Data.AsSpan()).ToArray());
        }
        writer.WriteTo(path);
    }

    private static void SetSpecial(GgufWriter writer, BertVocabulary vocabulary, string key, string token)
    {
        int id = vocabulary.IdOf(token);
        if (id >= 0) writer.Set($"tokenizer.ggml.{key}", (uint)id);
    }
}
