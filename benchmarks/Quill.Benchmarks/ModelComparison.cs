// Side-by-side throughput of Quill and llama.cpp (LLamaSharp) on the same GGUF files and thread count, in one run.
using Quill.Benchmarking;
using Quill.Models;
using Quill.Models.Synthetic;
using Quill.Tensors;
using Quill.TestSupport.LlamaCpp;

namespace Quill.Benchmarks;

/// <summary>
/// `compare [--threads N] [--pp 512] [--tg 128] [--models small-q8_0,tinyllama-q4_0,tinyllama-q4_k_m] [--folder DIR]`:
/// creates the benchmark models once (a 110M Q8_0 model, 768×12, vocab 32000; a 1.1B Q4_0 with TinyLlama's shape; the
/// same shape quantized to Q4_K_M by llama.cpp from F16), then
/// measures pp and tg for Quill (copied and mapped weights) and llama.cpp, alternating, and prints the ratios.
/// </summary>
public static class ModelComparison
{
    private static readonly Dictionary<string, SyntheticModelOptions> Models = new()
    {
        ["small-q8_0"] = new()
        {
            Dim = 768, Layers = 12, Heads = 12, KvHeads = 12, FeedForwardDim = 2048, VocabSize = 32000, ContextLength = 2048,
            Type = GgmlType.Q8_0, Seed = 1
        },
        ["tinyllama-q4_0"] = new()
        {
            Dim = 2048, Layers = 22, Heads = 32, KvHeads = 4, FeedForwardDim = 5632, VocabSize = 32000, ContextLength = 2048,
            Type = GgmlType.Q4_0, Seed = 2
        },
        ["tinyllama-f16"] = new()
        {
            Dim = 2048, Layers = 22, Heads = 32, KvHeads = 4, FeedForwardDim = 5632, VocabSize = 32000, ContextLength = 2048,
            Type = GgmlType.F16, Seed = 2
        },
    };

    // Files made from another by llama.cpp's own quantizer: name → (source model, llama.cpp type).
    private static readonly Dictionary<string, (string Source, string Type)> Quantized = new()
    {
        ["tinyllama-q4_k_m"] = ("tinyllama-f16", "Q4_K_M"),
        ["tinyllama-q5_k_m"] = ("tinyllama-f16", "Q5_K_M"),
    };

    public static int Run(string[] args)
    {
        int threads = Environment.ProcessorCount, pp = 512, tg = 128;
        string folder = Path.Combine(Directory.GetCurrentDirectory(), ".quill", "bench");
        var names = new List<string> { "small-q8_0", "tinyllama-q4_0", "tinyllama-q4_k_m" };
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--threads": threads = int.Parse(args[++i]); break;
                case "--pp": pp = int.Parse(args[++i]); break;
                case "--tg": tg = int.Parse(args[++i]); break;
                case "--folder": folder = args[++i]; break;
                case "--models": names = args[++i].Split(',').ToList(); break;
                default: Console.Error.WriteLine($"compare: unknown argument '{args[i]}'"); return 2;
            }
        }
        Directory.CreateDirectory(folder);
        Console.WriteLine($"threads {threads}, pp {pp}, tg {tg}; best of 3 runs each");
        Console.WriteLine($"{"model",-16} {"engine",-18} {"pp t/s",10} {"tg t/s",10} {"peak RSS MB",12}");
        foreach (var name in names)
        {
            string path = Path.Combine(folder, name + ".gguf");
            Make(folder, name);
            double fileMb = new FileInfo(path).Length / 1e6;
            var theirs = LlamaCppReference.Bench(path, pp, tg, threads);
            var ours = Measure(path, threads, WeightLoading.Copy, pp, tg);
            var oursMapped = Measure(path, threads, WeightLoading.Map, pp, tg);
            Console.WriteLine($"{name,-16} {"llama.cpp",-18} {theirs.PromptTokensPerSecond,10:F1} {theirs.GenTokensPerSecond,10:F1} {"",12}");
            Console.WriteLine($"{"",-16} {"quill (copy)",-18} {ours.PromptTokensPerSecond,10:F1} {ours.GenerationTokensPerSecond,10:F1} " +
                $"{ours.PeakResidentBytes / 1e6,12:F0}");
            Console.WriteLine($"{"",-16} {"quill (mmap)",-18} {oursMapped.PromptTokensPerSecond,10:F1} {oursMapped.GenerationTokensPerSecond,10:F1} {"",12}");
            Console.WriteLine($"{"",-16} {"ratio quill/llama",-18} {ours.PromptTokensPerSecond / theirs.PromptTokensPerSecond,10:F2} " +
                $"{ours.GenerationTokensPerSecond / theirs.GenTokensPerSecond,10:F2}   file {fileMb:F0} MB");
        }
        return 0;
    }

    /// <summary>Creates benchmark model <paramref name="name"/> in <paramref name="folder"/> unless it is there; returns its path.</summary>
    internal static string Make(string folder, string name)
    {
        string path = Path.Combine(folder, name + ".gguf");
        if (File.Exists(path)) return path;
        Directory.CreateDirectory(folder);
        Console.Error.WriteLine($"creating {path} ...");
        if (Quantized.TryGetValue(name, out var q))
        {
            LlamaCppReference.Quantize(Make(folder, q.Source), path, q.Type);
        }
        else
        {
            SyntheticModelWriter.Write(path, Models[name]);
        }
        return path;
    }

    private static ThroughputResult Measure(string path, int threads, WeightLoading loading, int pp, int tg)
    {
        using var lm = LanguageModel.Load(path, new LoadOptions { Threads = threads, Loading = loading });
        return ThroughputBenchmark.Run(lm.Model, pp, tg);
    }
}
