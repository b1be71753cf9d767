// One engine measured on one file in a child process of its own, so each engine's peak resident memory is its own.
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json;
using Quill.Benchmarking;
using Quill.Models;
using Quill.TestSupport.LlamaCpp;

namespace Quill.Benchmarks.Comparison;

/// <summary>
/// The engines `compare` runs: Quill with copied weights (its default), Quill on mapped weights, Quill with its copy on huge
/// pages (<c>--huge-pages</c>), llama.cpp as it ships (weights memory-mapped), and llama.cpp with its weights read into its own
/// buffers (<c>use_mmap = false</c>).
/// </summary>
public enum Engine
{
    Quill,
    QuillMapped,
    LlamaCpp,
    LlamaCppCopied,
    QuillHugePages,
}

/// <summary>Tokens per second of prompt processing and generation, and the peak resident memory (VmHWM) of the process.</summary>
public sealed record EngineResult(double PromptTokensPerSecond, double GenTokensPerSecond, long PeakResidentBytes)
{
    /// <summary>A run whose child failed: NaN rates, no memory figure; tables print it as "-".</summary>
    public static readonly EngineResult Failed = new(double.NaN, double.NaN, 0);

    public bool IsFailed => double.IsNaN(PromptTokensPerSecond);

    /// <summary>The better of two runs: each rate at its highest, memory at its highest too (the conservative figure).</summary>
    public static EngineResult Best(EngineResult a, EngineResult b) => a.IsFailed ? b : b.IsFailed ? a : new(
        Math.Max(a.PromptTokensPerSecond, b.PromptTokensPerSecond), Math.Max(a.GenTokensPerSecond, b.GenTokensPerSecond),
        Math.Max(a.PeakResidentBytes, b.PeakResidentBytes));
}

/// <summary>
/// The parent starts this benchmark executable again as <c>compare-run ENGINE FILE THREADS PP TG KV</c>; the child loads the file
/// with that engine alone, measures as llama-bench does (an untimed warm-up of the same size, then one timed run of pp
/// random tokens in one batch and of tg tokens one at a time from an empty context, the argmax fed back), and prints one
/// JSON line. Both engines pay the same .NET runtime in their peak RSS.
/// </summary>
public static class EngineRun
{
    public const string Command = "compare-run";

    public static string Label(Engine engine) => engine switch
    {
        Engine.Quill => "quill",
        Engine.QuillMapped => "quill-mmap",
        Engine.QuillHugePages => "quill-huge",
        Engine.LlamaCppCopied => "llama-nommap",
        _ => "llama.cpp",
    };

    /// <summary>Runs one measurement in a child process; throws with the child's error output when it fails.</summary>
    public static EngineResult InChild(Engine engine, string modelPath, int threads, int pp, int tg, KvCacheType kv, int depth = 0)
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("compare: cannot find this process's executable");
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(typeof(EngineRun).Assembly.Location);
        foreach (string arg in new[] { Command, engine.ToString(), modelPath, Text(threads), Text(pp), Text(tg), kv.Name(), Text(depth) })
            start.ArgumentList.Add(arg);
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"compare: could not start {host}");
        Task<string> errors = child.StandardError.ReadToEndAsync();
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        string last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
        if (child.ExitCode != 0 || !last.StartsWith('{'))
        {
            string killed = child.ExitCode == 137 ? " (killed: most often for memory)" : "";
            throw new InvalidOperationException($"{modelPath}: expected the {Label(engine)} child at {threads} threads to print a JSON result, it " +
                $"exited with {child.ExitCode}{killed} and printed '{last}'; its errors: {errors.Result.Trim()}");
        }
        return JsonSerializer.Deserialize<EngineResult>(last)!;
    }

    /// <summary>The child's side: <c>ENGINE FILE THREADS PP TG KV DEPTH</c>.</summary>
    public static int RunChild(string[] args)
    {
        if (args.Length != 7 || !Enum.TryParse(args[0], out Engine engine))
        {
            Console.Error.WriteLine($"{Command}: expected ENGINE FILE THREADS PP TG KV DEPTH with ENGINE one of {string.Join(", ", Enum.GetNames<Engine>())}");
            return 2;
        }
        string path = args[1];
        int threads = int.Parse(args[2], CultureInfo.InvariantCulture), pp = int.Parse(args[3], CultureInfo.InvariantCulture);
        int tg = int.Parse(args[4], CultureInfo.InvariantCulture);
        KvCacheType kv = KvCacheTypes.Parse(args[5]);
        int depth = int.Parse(args[6], CultureInfo.InvariantCulture);
        LlamaCppKvCache peerKv = kv == KvCacheType.F16 ? LlamaCppKvCache.F16 : LlamaCppKvCache.F32;
        (double promptRate, double genRate) = engine is Engine.LlamaCpp or Engine.LlamaCppCopied
            ? LlamaCppReference.Bench(path, pp, tg, threads, peerKv, memoryMap: engine == Engine.LlamaCpp, depth: depth)
            : QuillBench(path, Loading(engine), pp, tg, threads, kv, depth);
        Console.WriteLine(JsonSerializer.Serialize(new EngineResult(promptRate, genRate, ThroughputBenchmark.PeakResidentBytes())));
        return 0;
    }

    // The same protocol as LlamaCppReference.Bench, step for step (one batch here: Quill takes a whole prompt in one call).
    private static (double PromptTokensPerSecond, double GenTokensPerSecond) QuillBench(string path, WeightLoading loading, int pp, int tg, int threads,
        KvCacheType kv, int depth)
    {
        using LanguageModel lm = LanguageModel.Load(path, new LoadOptions { Threads = threads, Loading = loading, KvCacheType = kv });
        ICausalModel model = lm.Model;
        var random = new Random(42);
        int[] prompt = Enumerable.Range(0, pp).Select(_ => random.Next(model.VocabSize)).ToArray();
        int[] context = Enumerable.Range(0, depth).Select(_ => random.Next(model.VocabSize)).ToArray();
        var logits = new float[model.VocabSize];
        using IInferenceState state = model.CreateState(Math.Max(pp, depth + tg));

        TimeSpan RunPrompt()
        {
            state.Truncate(0);
            long start = Stopwatch.GetTimestamp();
            state.Append(prompt, logits);
            return Stopwatch.GetElapsedTime(start);
        }

        TimeSpan RunGeneration()
        {
            state.Truncate(0);
            if (depth > 0) state.Append(context, logits); // untimed: the cache decode starts from (llama-bench's -d)
            long start = Stopwatch.GetTimestamp();
            int token = prompt[0];
            for (int t = 0; t < tg; t++)
            {
                state.Append([token], logits);
                token = TensorPrimitives.IndexOfMax<float>(logits);
            }
            return Stopwatch.GetElapsedTime(start);
        }

        RunPrompt();
        double promptSeconds = RunPrompt().TotalSeconds;
        RunGeneration();
        double genSeconds = RunGeneration().TotalSeconds;
        return (pp / promptSeconds, tg / genSeconds);
    }

    private static WeightLoading Loading(Engine engine) => engine switch
    {
        Engine.QuillMapped => WeightLoading.Map,
        Engine.QuillHugePages => WeightLoading.CopyHugePages,
        _ => WeightLoading.Copy,
    };

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
