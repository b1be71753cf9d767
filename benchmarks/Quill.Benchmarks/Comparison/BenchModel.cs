// The models `compare` measures: three Llama shapes, written by Quill in F16 and quantized by llama.cpp's quantizer, cached on disk.
using Quill.Models.Synthetic;
using Quill.Tensors;
using Quill.TestSupport.LlamaCpp;

namespace Quill.Benchmarks.Comparison;

/// <summary>
/// One benchmark file, named SHAPE-TYPE (e.g. <c>tinyllama-q4_k_m</c>): a shape (<c>110m</c>, <c>tinyllama</c>, <c>7b</c>) with
/// random weights, written by Quill as F16, and that F16 file quantized by llama.cpp's own <c>llama_model_quantize</c> with its
/// default tensor mixture (so the K-quant "_M" mixtures and the output tensor's type are exactly llama.cpp's). Files are
/// made once and reused; the F16 file is the source of every other type of its shape.
/// </summary>
public sealed record BenchModel(string Shape, string Type)
{
    /// <summary>The default cache folder: ~/.cache/quill/bench, outside any repository.</summary>
    public static string DefaultFolder =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "quill", "bench");

    /// <summary>The shapes: a 110M model, TinyLlama 1.1B's and Mistral 7B's (grouped-query attention), all with vocab 32000.</summary>
    public static readonly IReadOnlyDictionary<string, SyntheticModelOptions> Shapes = new Dictionary<string, SyntheticModelOptions>
    {
        ["110m"] = new()
        {
            Dim = 768, Layers = 12, Heads = 12, KvHeads = 12, FeedForwardDim = 2048, VocabSize = 32000, ContextLength = 4096,
            Type = GgmlType.F16, Seed = 1,
        },
        ["tinyllama"] = new()
        {
            Dim = 2048, Layers = 22, Heads = 32, KvHeads = 4, FeedForwardDim = 5632, VocabSize = 32000, ContextLength = 4096,
            Type = GgmlType.F16, Seed = 2,
        },
        ["7b"] = new()
        {
            Dim = 4096, Layers = 32, Heads = 32, KvHeads = 8, FeedForwardDim = 14336, VocabSize = 32000, ContextLength = 4096,
            Type = GgmlType.F16, Seed = 3, RopeFreqBase = 1e6f,
        },
    };

    /// <summary>The file types, lower case as in the names; all but f16 are llama.cpp LLAMA_FTYPE_MOSTLY_ names.</summary>
    public static readonly IReadOnlyList<string> Types = ["f16", "q8_0", "q4_0", "q4_k_m", "q5_k_m", "q6_k"];

    // Approximate bits per weight of each type (llama.cpp's mixtures included), for the disk-space check only.
    private static readonly Dictionary<string, double> BitsPerWeight = new()
    {
        ["f16"] = 16, ["q8_0"] = 8.5, ["q4_0"] = 4.6, ["q4_k_m"] = 4.9, ["q5_k_m"] = 5.7, ["q6_k"] = 6.6,
    };

    public string Name => $"{Shape}-{Type}";

    public SyntheticModelOptions Options => Shapes[Shape];

    public BenchModel Source => this with { Type = "f16" };

    /// <summary>Parameters of the shape, embedding and output matrices included.</summary>
    public long Parameters
    {
        get
        {
            SyntheticModelOptions o = Options;
            long kvDim = (long)o.KvHeads * (o.Dim / o.Heads);
            long layer = 2L * o.Dim * o.Dim + 2L * o.Dim * kvDim + 3L * o.Dim * o.FeedForwardDim + 2L * o.Dim;
            return 2L * o.VocabSize * o.Dim + o.Layers * layer + o.Dim;
        }
    }

    /// <summary>About how many bytes the file takes on disk.</summary>
    public long EstimatedBytes => (long)(Parameters * BitsPerWeight[Type] / 8);

    public string PathIn(string folder) => Path.Combine(folder, Name + ".gguf");

    /// <summary>
    /// Parses a comma-separated list of SHAPE-TYPE names; a bare SHAPE means all its types. Throws with the valid names.
    /// </summary>
    public static List<BenchModel> ParseList(string list)
    {
        var models = new List<BenchModel>();
        foreach (string raw in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string name = raw.ToLowerInvariant();
            if (Shapes.ContainsKey(name))
            {
                models.AddRange(Types.Select(t => new BenchModel(name, t)));
                continue;
            }
            int dash = name.IndexOf('-', StringComparison.Ordinal);
            string shape = dash > 0 ? name[..dash] : name, type = dash > 0 ? name[(dash + 1)..] : "";
            if (!Shapes.ContainsKey(shape) || !Types.Contains(type)) ThrowUnknown(raw);
            models.Add(new BenchModel(shape, type));
        }
        return [.. models.Distinct()];
    }

    /// <summary>
    /// The files of <paramref name="models"/> not yet in <paramref name="folder"/>, with the F16 sources they need, in the order
    /// to make them; the caller checks the disk before <see cref="Make"/>.
    /// </summary>
    public static List<BenchModel> Missing(IEnumerable<BenchModel> models, string folder)
    {
        var missing = new List<BenchModel>();
        foreach (BenchModel m in models)
        {
            if (File.Exists(m.PathIn(folder))) continue;
            if (!File.Exists(m.Source.PathIn(folder)) && !missing.Contains(m.Source)) missing.Add(m.Source);
            if (!missing.Contains(m)) missing.Add(m);
        }
        return [.. missing.OrderBy(m => m.Type != "f16")];
    }

    /// <summary>Makes the file in <paramref name="folder"/> unless it is there (and its F16 source first); returns its path.</summary>
    public string Make(string folder)
    {
        string path = PathIn(folder);
        if (File.Exists(path)) return path;
        Directory.CreateDirectory(folder);
        if (Type == "f16")
        {
            Console.Error.WriteLine($"writing {path} ({EstimatedBytes / 1e9:F1} GB) ...");
            SyntheticModelWriter.Write(path, Options);
        }
        else
        {
            string source = Source.Make(folder);
            Console.Error.WriteLine($"quantizing {Path.GetFileName(source)} to {Type.ToUpperInvariant()} with llama.cpp: {path} ...");
            LlamaCppReference.Quantize(source, path, Type.ToUpperInvariant());
        }
        return path;
    }

    private static void ThrowUnknown(string name) =>
        throw new ArgumentException($"--models: '{name}' is not a benchmark model; expected SHAPE-TYPE or SHAPE, with SHAPE one of " +
            $"{string.Join(", ", Shapes.Keys)} and TYPE one of {string.Join(", ", Types)} (e.g. 110m-q8_0,tinyllama-q4_k_m)");
}
