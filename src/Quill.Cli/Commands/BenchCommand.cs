// `quill bench -m MODEL [--parallel N]`: prompt-processing and generation tokens/s (or N streams decoding together
// against one), as text or JSON.
using System.CommandLine;
using System.Diagnostics;
using Quill.Benchmarking;
using Quill.Formats;
using Quill.Models;

namespace Quill.Cli.Commands;

internal static class BenchCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var prompt = new Option<int>("--prompt-tokens", "-p") { Description = "Prompt tokens evaluated in one batch", DefaultValueFactory = _ => 512 };
        var generate = new Option<int>("--gen-tokens", "-n") { Description = "Tokens generated one at a time", DefaultValueFactory = _ => 128 };
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var mmap = CommonOptions.Mmap();
        var hugePages = CommonOptions.HugePages();
        var reps = new Option<int>("--repetitions", "-r") { Description = "Runs; the best is reported", DefaultValueFactory = _ => 3 };
        var depth = new Option<int>("--depth", "-d")
        {
            Description = "Tokens already in the KV cache when tg starts (decode speed at a long context; llama-bench's -d)",
            DefaultValueFactory = _ => 0,
        };
        var kvType = CommonOptions.KvType();
        var parallel = new Option<int>("--parallel", "--batch")
        {
            Description = "Decode N sequences together (continuous batching) and report their aggregate tokens/s beside one sequence's",
            DefaultValueFactory = _ => 0,
        };
        var command = new Command("bench",
            "Measure prompt processing (pp) and generation (tg) speed\n  example: quill bench -m model.gguf -p 512 -n 128 --json\n  example: quill bench -m " +
            "model.gguf -p 128 -n 64 --parallel 16\n  example: quill bench -m model.gguf -p 0 -n 64 --depth 4096 --kv-type f32")
        {
            model, prompt, generate, threads, json, mmap, hugePages, reps, parallel, depth, kvType,
        };
        command.SetAction(r => CliErrors.Run(() =>
        {
            KvCacheType kv = CommonOptions.KvType(r, kvType);
            if (r.GetValue(depth) < 0) throw new ArgumentException($"--depth: expected 0 or more tokens, found {r.GetValue(depth)}");
            var loadStart = Stopwatch.GetTimestamp();
            using var lm = LanguageModel.Load(r.GetValue(model)!, new LoadOptions
            {
                Threads = r.GetValue(threads),
                Loading = CommonOptions.Loading(r, mmap, hugePages),
                KvCacheType = kv,
            });
            double loadSeconds = Stopwatch.GetElapsedTime(loadStart).TotalSeconds;
            if (r.GetValue(parallel) > 0)
            {
                if (r.GetValue(depth) > 0) throw new ArgumentException("--depth: --parallel decodes after each sequence's -p prompt; leave --depth out");
                var batched = ParallelThroughputBenchmark.Run(lm.Model, r.GetValue(parallel), r.GetValue(prompt), r.GetValue(generate),
                    Math.Max(1, r.GetValue(reps)));
                PrintParallel(lm, batched, loadSeconds, r.GetValue(json), kv);
                return 0;
            }
            var result = ThroughputBenchmark.Run(lm.Model, r.GetValue(prompt), r.GetValue(generate), Math.Max(1, r.GetValue(reps)), r.GetValue(depth));
            if (r.GetValue(json))
            {
                Console.Out.WriteLine(PlainJson.Serialize(new Dictionary<string, object>
                {
                    ["model"] = lm.Name,
                    ["pp_tokens"] = result.PromptTokens,
                    ["tg_tokens"] = result.GeneratedTokens,
                    ["pp_tokens_per_s"] = Math.Round(result.PromptTokensPerSecond, 2),
                    ["tg_tokens_per_s"] = Math.Round(result.GenerationTokensPerSecond, 2),
                    ["depth"] = result.Depth,
                    ["kv_type"] = kv.Name(),
                    ["kv_bytes"] = result.KvCacheBytes,
                    ["load_s"] = Math.Round(loadSeconds, 3),
                    ["peak_rss_bytes"] = result.PeakResidentBytes,
                    ["file_bytes"] = new FileInfo(lm.Path).Length,
                }));
            }
            else
            {
                Console.Out.WriteLine($"model  {lm.Name} ({new FileInfo(lm.Path).Length / 1e6:F1} MB), loaded in {loadSeconds:F2} s");
                if (result.PromptTokens > 0) Console.Out.WriteLine($"pp{result.PromptTokens,-5} {result.PromptTokensPerSecond,10:F2} tokens/s");
                string at = result.Depth > 0 ? $" (after {result.Depth} tokens)" : "";
                Console.Out.WriteLine($"tg{result.GeneratedTokens,-5} {result.GenerationTokensPerSecond,10:F2} tokens/s{at}");
                int tokens = Math.Max(result.PromptTokens, result.Depth + result.GeneratedTokens) + 1;
                Console.Out.WriteLine($"kv cache {result.KvCacheBytes / 1e6:F1} MB ({kv.Name()}, {tokens} tokens)");
                Console.Out.WriteLine($"peak resident memory {result.PeakResidentBytes / 1e6:F1} MB");
            }
            return 0;
        }));
        command.Subcommands.Add(TrainBenchCommand.Create());
        return command;
    }

    private static void PrintParallel(LanguageModel lm, ParallelThroughputResult result, double loadSeconds, bool json, KvCacheType kv)
    {
        if (json)
        {
            Console.Out.WriteLine(PlainJson.Serialize(new Dictionary<string, object>
            {
                ["model"] = lm.Name,
                ["parallel"] = result.Sequences,
                ["pp_tokens"] = result.PromptTokens,
                ["tg_tokens"] = result.GeneratedTokens,
                ["parallel_pp_tokens_per_s"] = Math.Round(result.PromptTokensPerSecond, 2),
                ["parallel_tg_tokens_per_s"] = Math.Round(result.GenerationTokensPerSecond, 2),
                ["single_tg_tokens_per_s"] = Math.Round(result.SingleGenerationTokensPerSecond, 2),
                ["parallel_speedup"] = Math.Round(result.Speedup, 3),
                ["kv_type"] = kv.Name(),
                ["kv_bytes"] = result.KvCacheBytes,
                ["load_s"] = Math.Round(loadSeconds, 3),
                ["peak_rss_bytes"] = result.PeakResidentBytes,
                ["file_bytes"] = new FileInfo(lm.Path).Length,
            }));
            return;
        }
        Console.Out.WriteLine($"model  {lm.Name} ({new FileInfo(lm.Path).Length / 1e6:F1} MB), loaded in {loadSeconds:F2} s");
        Console.Out.WriteLine($"pp{result.PromptTokens,-5} x{result.Sequences,-3} {result.PromptTokensPerSecond,10:F2} tokens/s (all sequences)");
        Console.Out.WriteLine($"tg{result.GeneratedTokens,-5} x{result.Sequences,-3} {result.GenerationTokensPerSecond,10:F2} tokens/s (all sequences)");
        Console.Out.WriteLine($"tg{result.GeneratedTokens,-5} x1   {result.SingleGenerationTokensPerSecond,10:F2} tokens/s (one sequence), " +
            $"{result.Speedup:F2}x");
        Console.Out.WriteLine($"kv cache {result.KvCacheBytes / 1e6:F1} MB ({kv.Name()}, {result.Sequences} slots)");
        Console.Out.WriteLine($"peak resident memory {result.PeakResidentBytes / 1e6:F1} MB");
    }
}
