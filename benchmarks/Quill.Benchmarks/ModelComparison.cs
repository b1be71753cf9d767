// `./bench compare`: Quill beside llama.cpp on the same GGUF files, 1 and 2 threads, pp and tg, peak RSS, and decode against the bandwidth bound.
using System.Diagnostics;
using System.Globalization;
using Quill.Benchmarks.Comparison;
using Quill.Formats.Gguf;
using Quill.Models;

namespace Quill.Benchmarks;

/// <summary>
/// <c>compare [--models LIST] [--threads 1,2] [--pp 512] [--tg 64] [--depth 0] [--runs 2] [--kv-type f16|f32] [--folder DIR] [--mmap]
/// [--huge-pages] [--llama-no-mmap] [--markdown | --json]</c>:
/// makes the benchmark files once (<see cref="BenchModel"/>: Quill writes F16, llama.cpp quantizes), measures the machine's read
/// bandwidth, then for each model runs Quill and llama.cpp alternately, each run in a child process of its own, and prints the
/// best run of each beside the other with their ratios, decode as a share of the bandwidth bound, and each engine's peak RSS.
/// </summary>
public static class ModelComparison
{
    /// <summary>What `compare` runs with no --models: every type of the 110M shape and the three common TinyLlama types.</summary>
    public const string DefaultModels = "110m,tinyllama-q8_0,tinyllama-q4_0,tinyllama-q4_k_m";

    private const string Usage =
        "usage: compare [--models 110m-q8_0,tinyllama-q4_k_m,7b-q5_k_m,...] [--threads 1,2] [--pp 512] [--tg 64] [--depth 0] [--runs 2] " +
        "[--kv-type f16|f32] " +
        "[--folder DIR] [--mmap] [--huge-pages] [--llama-no-mmap] [--markdown | --json]\n" +
        "  models are SHAPE-TYPE (a bare SHAPE means all six types): SHAPE 110m, tinyllama, 7b; TYPE f16, q8_0, q4_0, q4_k_m, q5_k_m, q6_k\n" +
        "  default models: " + DefaultModels + "; files are cached in --folder (default ~/.cache/quill/bench)\n" +
        "  --kv-type: both engines' KV cache element type (default f16, each engine's default)\n" +
        "  --depth D: tg is timed after D untimed tokens in the cache (llama-bench's -d): decode speed at a long context\n" +
        "  --mmap also measures Quill on memory-mapped weights (one more run per row); --huge-pages also measures Quill with its weights " +
        "copied onto 2 MiB pages; --llama-no-mmap also measures llama.cpp with its " +
        "weights read into its own buffers (use_mmap = false, llama-bench's --mmap 0); --bandwidth only measures the read bandwidth " +
        "(put --threads first)";

    public static int Run(string[] args)
    {
        int pp = 512, tg = 64, runs = 2, depth = 0;
        KvCacheType kv = KvCacheType.F16;
        int[] threads = [1, 2];
        string folder = BenchModel.DefaultFolder, format = "text", models = DefaultModels;
        var engines = new List<Engine> { Engine.Quill, Engine.LlamaCpp };
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--threads": threads = [.. Value().Split(',').Select(Positive).Distinct()]; break;
                    case "--pp": pp = Positive(Value()); break;
                    case "--tg": tg = Positive(Value()); break;
                    case "--depth": depth = NonNegative(Value()); break;
                    case "--runs": runs = Positive(Value()); break;
                    case "--folder": folder = Value(); break;
                    case "--kv-type": kv = KvCacheTypes.Parse(Value(), "--kv-type"); break;
                    case "--models": models = Value(); break;
                    case "--mmap": engines.Insert(1, Engine.QuillMapped); break;
                    case "--huge-pages": engines.Insert(1, Engine.QuillHugePages); break;
                    case "--llama-no-mmap": engines.Add(Engine.LlamaCppCopied); break;
                    case "--markdown": format = "markdown"; break;
                    case "--json": format = "json"; break;
                    case "--bandwidth": return PrintBandwidth(threads);
                    case "-h" or "--help": Console.WriteLine(Usage); return 0;
                    default: throw new ArgumentException($"unknown argument '{args[i]}'");
                }
            }
            return Compare(BenchModel.ParseList(models), threads, pp, tg, depth, runs, kv, folder, engines, format);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"compare: {e.Message}\n{Usage}");
            return 2;
        }
    }

    /// <summary>Makes benchmark model <paramref name="name"/> (SHAPE-TYPE) in <paramref name="folder"/> unless it is there; returns its path.</summary>
    internal static string Make(string folder, string name) => BenchModel.ParseList(name).Single().Make(folder);

    private static int Compare(List<BenchModel> models, int[] threads, int pp, int tg, int depth, int runs, KvCacheType kv, string folder,
        List<Engine> engines, string format)
    {
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(folder);
        if (!MakeFiles(models, folder)) return 1;

        // Bandwidth is measured again before every pass over the engines and its best kept, as the engines' runs are.
        var bandwidth = threads.Distinct().Order().ToDictionary(t => t, _ => 0.0);
        var results = new Dictionary<(BenchModel, int), Dictionary<Engine, EngineResult>>();
        foreach (BenchModel model in models)
        {
            string path = model.PathIn(folder);
            foreach (int t in threads) results[(model, t)] = [];
            for (int run = 1; run <= runs; run++)
            {
                foreach (int t in bandwidth.Keys) bandwidth[t] = Math.Max(bandwidth[t], ReadBandwidth.Measure(t));
                foreach (int t in threads)
                {
                    foreach (Engine engine in engines)
                    {
                        EngineResult result = Measure(engine, path, t, pp, tg, kv, depth);
                        if (!result.IsFailed) Console.Error.WriteLine($"{model.Name,-18} run {run}/{runs} {t} thr {EngineRun.Label(engine),-10} " +
                            $"pp {result.PromptTokensPerSecond,8:F1} tg {result.GenTokensPerSecond,7:F1} t/s  RSS {result.PeakResidentBytes / 1e6,6:F0} MB");
                        var best = results[(model, t)];
                        best[engine] = best.TryGetValue(engine, out EngineResult? before) ? EngineResult.Best(before, result) : result;
                    }
                }
            }
        }
        foreach (var (t, gbps) in bandwidth) Console.Error.WriteLine($"read bandwidth, {t} thread(s), best: {gbps:F1} GB/s");
        var rows = new List<ComparisonRow>();
        foreach (BenchModel model in models)
        {
            string path = model.PathIn(folder);
            long fileBytes = new FileInfo(path).Length, weightBytes = WeightBytesPerToken(path);
            rows.AddRange(threads.Select(t => new ComparisonRow(model.Name, t, fileBytes, weightBytes, bandwidth[t], results[(model, t)])));
        }

        var setup = new ComparisonSetup(CpuName(), bandwidth, pp, tg, runs, engines, clock.Elapsed) { KvCacheType = kv, Depth = depth };
        switch (format)
        {
            case "markdown": ComparisonTable.WriteMarkdown(Console.Out, setup, rows); break;
            case "json": ComparisonTable.WriteJson(Console.Out, setup, rows); break;
            default: ComparisonTable.WriteText(Console.Out, setup, rows); break;
        }
        return 0;
    }

    private static int PrintBandwidth(int[] threads)
    {
        foreach (int t in threads) Console.WriteLine($"read bandwidth, {t} thread(s): {ReadBandwidth.Measure(t):F1} GB/s (best of 5 passes over 1 GiB)");
        return 0;
    }

    // Checks the disk before writing anything: a 7B F16 file alone is 14.5 GB.
    private static bool MakeFiles(List<BenchModel> models, string folder)
    {
        List<BenchModel> missing = BenchModel.Missing(models, folder);
        if (missing.Count == 0) return true;
        const long Margin = 1L << 30;
        long needed = missing.Sum(m => m.EstimatedBytes), free = new DriveInfo(Path.GetFullPath(folder)).AvailableFreeSpace;
        if (needed + Margin > free)
        {
            Console.Error.WriteLine($"compare: making {string.Join(", ", missing.Select(m => m.Name))} needs about {needed / 1e9:F1} GB (plus " +
                $"{Margin / 1e9:F1} GB to spare) in {folder}, but its disk has {free / 1e9:F1} GB free; free some space, pass another --folder, " +
                "or ask for fewer models (7b-f16 alone is 14.5 GB)");
            return false;
        }
        foreach (BenchModel m in missing) m.Make(folder);
        return true;
    }

    // A failed run (a file the engine refuses, a child killed for memory) is reported and shown as "-"; the others go on.
    private static EngineResult Measure(Engine engine, string path, int threads, int pp, int tg, KvCacheType kv, int depth)
    {
        try
        {
            return EngineRun.InChild(engine, path, threads, pp, tg, kv, depth);
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"compare: {e.Message}");
            return EngineResult.Failed;
        }
    }

    // Every tensor a decode step reads: all but the token embedding (one row of it), unless the output matrix is tied to it.
    private static long WeightBytesPerToken(string path)
    {
        using GgufFile file = GgufFile.Open(path);
        bool tied = file.FindTensor(TensorNames.Output) is null;
        return file.Tensors.Where(t => tied || t.Name != TensorNames.TokenEmbedding).Sum(t => t.ByteLength);
    }

    private static string CpuName()
    {
        string Field(string[] lines, string name) =>
            lines.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal) && l[name.Length..].TrimStart().StartsWith(':'))?
                .Split(':', 2)[1].Trim() ?? "?";
        string cpu = "unknown CPU";
        try
        {
            string[] lines = File.ReadAllLines("/proc/cpuinfo");
            cpu = $"{Field(lines, "model name")} (family {Field(lines, "cpu family")}, model {Field(lines, "model")})";
        }
        catch (IOException)
        {
        }
        return $"{cpu}, {Environment.ProcessorCount} logical cores";
    }

    private static int NonNegative(string text) => WholeNumber(text, least: 0);

    private static int Positive(string text) => WholeNumber(text, least: 1);

    private static int WholeNumber(string text, int least) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= least
            ? value
            : throw new ArgumentException($"expected {(least == 0 ? "0 or " : "")}a positive whole number, found '{text}'");
}
