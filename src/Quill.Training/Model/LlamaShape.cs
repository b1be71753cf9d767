// The architecture hyperparameters a user picks for pre-training (presets or a JSON config); the vocabulary comes later.
using System.Text.Json;
using Quill.Models.Llama;
using Quill.Tensors.Kernels;

namespace Quill.Training.Model;

/// <summary>
/// Dim, layers, heads (and KV heads), FFN width and context; <see cref="ToConfig"/> adds the tokenizer's vocabulary.
/// A JSON config names the same fields: {"dim", "layers", "heads", "kv_heads", "ffn", "context", "rope_theta", "norm_eps"}.
/// </summary>
public sealed record LlamaShape(int Dim, int Layers, int Heads, int KvHeads, int FeedForwardDim, int ContextLength,
    float RopeFreqBase = 10000f, float RmsEpsilon = 1e-5f)
{
    /// <summary>The named presets: tiny (seconds per hundred steps), small, and bench24m (the issue's benchmark shape).</summary>
    public static IReadOnlyDictionary<string, LlamaShape> Presets { get; } = new Dictionary<string, LlamaShape>
    {
        ["tiny"] = new(64, 2, 4, 4, 192, 256),
        ["small"] = new(256, 4, 8, 8, 768, 512),
        ["bench24m"] = new(288, 6, 6, 6, 768, 256),
    };

    public static LlamaShape Preset(string name) =>
        Presets.TryGetValue(name, out var shape) ? shape
            : throw new ArgumentException($"unknown preset '{name}' (expected one of: {string.Join(", ", Presets.Keys)})");

    /// <summary>Reads a JSON config; a missing or out-of-range field is a one-line error naming the file.</summary>
    public static LlamaShape FromJsonFile(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: expected a JSON object of model hyperparameters, found invalid JSON ({e.Message})");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: expected a JSON object of model hyperparameters, found {root.ValueKind}");
            int Int(string key, int? fallback, int max)
            {
                if (!root.TryGetProperty(key, out var v))
                    return fallback ?? throw new InvalidDataException($"{path}: expected a \"{key}\" field, found none");
                if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int n) || n < 1 || n > max)
                    throw new InvalidDataException($"{path}: expected \"{key}\" to be an integer in 1..{max}, found {v.GetRawText()}");
                return n;
            }
            float Float(string key, float fallback)
            {
                if (!root.TryGetProperty(key, out var v)) return fallback;
                if (v.ValueKind != JsonValueKind.Number || !(v.GetDouble() > 0))
                    throw new InvalidDataException($"{path}: expected \"{key}\" to be a positive number, found {v.GetRawText()}");
                return (float)v.GetDouble();
            }
            int heads = Int("heads", null, 1024);
            var shape = new LlamaShape(Int("dim", null, 1 << 14), Int("layers", null, 256), heads, Int("kv_heads", heads, 1024),
                Int("ffn", null, 1 << 16), Int("context", 2048, 1 << 20), Float("rope_theta", 10000f), Float("norm_eps", 1e-5f));
            try
            {
                shape.Check();
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"{path}: {e.Message}");
            }
            return shape;
        }
    }

    /// <summary>Throws a one-line ArgumentException when the shape cannot be built.</summary>
    public void Check()
    {
        if (Dim < 1 || Layers < 1 || Heads < 1 || KvHeads < 1 || FeedForwardDim < 1 || ContextLength < 1)
            throw new ArgumentException("dim, layers, heads, kv_heads, ffn and context must all be positive");
        if (Dim % Heads != 0) throw new ArgumentException($"dim {Dim} is not a multiple of heads {Heads}");
        if (Heads % KvHeads != 0) throw new ArgumentException($"heads {Heads} is not a multiple of kv_heads {KvHeads}");
        if (Dim / Heads % 2 != 0) throw new ArgumentException($"the head size {Dim / Heads} must be even for RoPE");
    }

    /// <summary>The full configuration for a tokenizer of <paramref name="vocabSize"/> tokens.</summary>
    public LlamaConfig ToConfig(int vocabSize, int? contextLength = null)
    {
        Check();
        return new LlamaConfig
        {
            Architecture = "llama",
            ContextLength = contextLength ?? ContextLength,
            Dim = Dim,
            Layers = Layers,
            Heads = Heads,
            KvHeads = KvHeads,
            HeadSize = Dim / Heads,
            FeedForwardDim = FeedForwardDim,
            VocabSize = vocabSize,
            RmsEpsilon = RmsEpsilon,
            RopeFreqBase = RopeFreqBase,
            RopeFreqScale = 1f,
            RopeDims = Dim / Heads,
            RopeLayout = RopeLayout.Normal,
        };
    }
}
