// Side-by-side throughput of Quill and llama.cpp (LLamaSharp) on the same GGUF files and thread count, in one run.
using System.Diagnostics;
using Quill.Benchmarking;
using Quill.Models;
using Quill.Models.Synthetic;
using Quill.Tensors;
using Quill.TestSupport.LlamaCpp;

namespace Quill.Benchmarks;

/// <summary>
/// `compare [--threads N] [--pp 512] [--tg 128] [--models small,tiny-llama] [--folder DIR] [--mmap]`: creates the
/// benchmark models once (a 110M Q8_0 model, 768×12, vocab 32000, and a 1.1B Q4_0 with TinyLlama's shape), then
/// measures pp and tg for Quill (copied and mapped weights) and llama.cpp, alternating, and prints the ratios.
/// </summary>
public static class ModelComparison
{
    private static readonly Dictionary<string, SyntheticModelOptions> Models = new()
    {
        ["small-q8_0"] = new() { Dim = 768, Layers = 12, Heads = 12, KvHeads = 12, FeedForwardDim = 2048, VocabSize = 32000, ContextLength = 2048, Type = GgmlType.Q8_0, Seed = 1 },
        ["tinyllama-q4_0"] = new() { Dim = 2048, Layers = 22, Heads = 32, KvHeads = 4, FeedForwardDim = 5632, VocabSize = 32000, ContextLength = 2048, Type = GgmlType.Q4_0, Seed = 2 },
    };

    public static int Run(string[] args)
    {
        int threads = Environment.ProcessorCount, pp = 512, tg = 128;
        string folder = Path.Combine(Directory.GetCurrentDirectory(), ".quill", "bench");
        var names = Models.Keys.ToList();
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
            if (!File.Exists(path))
            {
                Console.Error.WriteLine($"creating {path} ...");
                SyntheticModelWriter.Write(path, Models[name]);
            }
            double fileMb = new FileInfo(path).Length / 1e6;
            var theirs = LlamaCppReference.Bench(path, pp, tg, threads);
            var ours = Measure(path, threads, WeightLoading.Copy, pp, tg);
            var oursMapped = Measure(path, threads, WeightLoading.Map, pp, tg);
            Console.WriteLine($"{name,-16} {"llama.cpp",-18} {theirs.PromptTokensPerSecond,10:F1} {theirs.GenTokensPerSecond,10:F1} {"",12}");
            Console.WriteLine($"{"",-16} {"quill (copy)",-18} {ours.PromptTokensPerSecond,10:F1} {ours.GenerationTokensPerSecond,10:F1} {ours.PeakResidentBytes / 1e6,12:F0}");
            Console.WriteLine($"{"",-16} {"quill (mmap)",-18} {oursMapped.PromptTokensPerSecond,10:F1} {oursMapped.GenerationTokensPerSecond,10:F1} {"",12}");
            Console.WriteLine($"{"",-16} {"ratio quill/llama",-18} {ours.PromptTokensPerSecond / theirs.PromptTokensPerSecond,10:F2} {ours.GenerationTokensPerSecond / theirs.GenTokensPerSecond,10:F2}   file {fileMb:F0} MB");
        }
        return 0;
    }

    private static ThroughputResult Measure(string path, int threads, WeightLoading loading, int pp, int tg)
    {
        using var lm = LanguageModel.Load(path, new LoadOptions { Threads = threads, Loading = loading });
        return ThroughputBenchmark.Run(lm.Model, pp, tg);
    }
}
