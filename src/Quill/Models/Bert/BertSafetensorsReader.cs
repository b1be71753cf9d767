// Reads a Hugging Face BertModel folder (config.json, model.safetensors, vocab.txt) into GGUF-named F32 tensors;
// not a sharded-checkpoint loader.
using System.Buffers.Binary;
using System.Text.Json;
using Quill.Embeddings;
using Quill.Formats.Safetensors;

namespace Quill.Models.Bert;

public static class BertSafetensorsReader
{
    /// <summary>Reads <paramref name="folder"/>/config.json and model.safetensors, and vocab.txt when present.</summary>
    public static BertCheckpoint Read(string folder, string? name = null)
    {
        string configPath = Path.Combine(folder, "config.json");
        string weightsPath = Path.Combine(folder, "model.safetensors");
        if (!File.Exists(configPath))
            throw new FileNotFoundException($"{folder}: expected a Hugging Face model folder with config.json, found none", configPath);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"{folder}: expected model.safetensors beside config.json, found none", weightsPath);
        var config = ReadConfig(configPath);
        using var file = SafetensorsFile.Open(weightsPath);
        var tensors = new Dictionary<string, BertTensor>(StringComparer.Ordinal);
        foreach (var info in file.Tensors)
        {
            if (BertTensorNames.FromHuggingFace(info.Name) is not { } gguf || info.Shape.Length is 0 or > 2) continue;
            int rows = info.Shape.Length == 2 ? checked((int)info.Shape[0]) : 1;
            var tensor = BertTensor.Allocate(rows, checked((int)info.Shape[^1]));
            ToFloats(file, info, tensor.Data);
            tensors[gguf] = tensor; // torch Linear weights are (out, in) = (N, K) already
        }
        string vocabPath = Path.Combine(folder, "vocab.txt");
        var vocabulary = File.Exists(vocabPath) ? BertVocabulary.FromVocabFile(vocabPath) : null;
        return new BertCheckpoint(name ?? new DirectoryInfo(folder).Name, config, tensors, vocabulary).Validate();
    }

    /// <summary>The encoder sizes of a BertModel config.json.</summary>
    public static BertConfig ReadConfig(string path)
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = json.RootElement;
        string source = Path.GetFileName(path);
        if (root.TryGetProperty("hidden_act", out var act) && act.GetString() is { } activation && activation != "gelu")
            throw new InvalidDataException($"{source}: expected hidden_act \"gelu\" (erf form), found \"{activation}\"");
        if (root.TryGetProperty("position_embedding_type", out var pe) && pe.GetString() is { } positions && positions != "absolute")
            throw new InvalidDataException($"{source}: expected position_embedding_type \"absolute\", found \"{positions}\"");
        return new BertConfig(
            VocabSize: Int(root, "vocab_size", source),
            Dim: Int(root, "hidden_size", source),
            Layers: Int(root, "num_hidden_layers", source),
            Heads: Int(root, "num_attention_heads", source),
            FeedForwardDim: Int(root, "intermediate_size", source),
            MaxPositions: Int(root, "max_position_embeddings", source),
            TokenTypes: root.TryGetProperty("type_vocab_size", out var tt) ? tt.GetInt32() : 2,
            LayerNormEpsilon: root.TryGetProperty("layer_norm_eps", out var eps) ? eps.GetSingle() : 1e-12f,
            Pooling: Pooling.Mean).Validate(source);
    }

    private static int Int(JsonElement root, string key, string source) =>
        root.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int v)
            ? v
            : throw new InvalidDataException($"{source}: expected an integer \"{key}\", found {(root.TryGetProperty(key,
                out var found) ? found.ToString() : "none")}");

    private static void ToFloats(SafetensorsFile file, SafetensorsTensorInfo info, Span<float> destination)
    {
        var bytes = file.GetTensorData(info);
        switch (info.DType)
        {
            case SafetensorsDType.F32:
                System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).CopyTo(destination);
                break;
            case SafetensorsDType.F16:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]));
                break;
            case SafetensorsDType.BF16:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]) << 16);
                break;
            default:
                throw new InvalidDataException($"{Path.GetFileName(file.Path)}: expected tensor '{info.Name}' in F32, F16 or BF16, found " +
                    $"{SafetensorsDTypeInfo.Name(info.DType)}");
        }
    }
}
