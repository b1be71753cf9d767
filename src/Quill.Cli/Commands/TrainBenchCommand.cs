// `quill bench train`: training steps/s, tokens/s, GFLOP/s and MFU of synthetic Llama shapes, fp32 and bf16.
using System.CommandLine;
using System.Diagnostics;
using Quill.Formats;
using Quill.Models.Llama;
using Quill.Tensors.Kernels;
using Quill.Tensors.Threading;
using Quill.Training.Data;
using Quill.Training.Kernels;
using Quill.Training.Model;
using Quill.Training.Optimization;

namespace Quill.Cli.Commands;

internal static class TrainBenchCommand
{
    /// <summary>A model shape and its batch (B × T).</summary>
    private sealed record Preset(string Name, int Dim, int Layers, int Heads, int KvHeads, int FeedForward, int Vocab, int Batch, int Tokens);

    private static readonly Preset[] Presets =
    [
        new("tiny", 64, 2, 4, 4, 192, 512, 8, 64),
        new("small", 256, 4, 8, 8, 768, 4096, 8, 128),
        new("24m", 288, 6, 6, 6, 768, 32000, 8, 256),
    ];

    public static Command Create()
    {
        var presets = new Option<string>("--presets")
        {
            Description = "Comma-separated presets: tiny, small, 24m",
            DefaultValueFactory = _ => "tiny,small,24m"
        };
        var precisions = new Option<string>("--precision") { Description = "Comma-separated: fp32, bf16", DefaultValueFactory = _ => "fp32,bf16" };
        var steps = new Option<int>("--steps")
        {
            Description = "Timed steps per configuration (at least this many, and at least 5 s)",
            DefaultValueFactory = _ => 3
        };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps first (and at least 2 s of them)", DefaultValueFactory = _ => 1 };
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json();
        var gemm = new Option<bool>("--gemm") { Description = "Also time the Sgemm kernel alone on the 24m shapes" };
        var command = new Command("train",
            "Measure training speed (forward + backward + AdamW) of synthetic Llama shapes\n  example: quill bench train --presets 24m --precision fp32,bf16")
        {
            presets, precisions, steps, warmup, threads, json, gemm,
        };
        command.SetAction(r => CliErrors.Run(() =>
        {
            int threadCount = r.GetValue(threads) > 0 ? r.GetValue(threads) : ComputePool.DefaultThreadCount;
            double peak = FmaPeak.Measure(threadCount);
            var rows = new List<Dictionary<string, object>>();
            bool asJson = r.GetValue(json);
            if (!asJson) Console.Out.WriteLine($"FP32 FMA peak, {threadCount} threads: {peak / 1e9:F1} GFLOP/s (measured)");
            if (r.GetValue(gemm)) MeasureGemm(threadCount);
            foreach (var name in Split(r.GetValue(presets)!))
            {
                var preset = Presets.FirstOrDefault(p => p.Name == name)
                    ?? throw new ArgumentException($"unknown preset '{name}' (expected tiny, small or 24m)");
                foreach (var precisionName in Split(r.GetValue(precisions)!))
                {
                    var precision = precisionName switch
                    {
                        "fp32" => TrainingPrecision.Fp32,
                        "bf16" => TrainingPrecision.Bf16,
                        _ => throw new ArgumentException($"unknown precision '{precisionName}' (expected fp32 or bf16)"),
                    };
                    var row = Measure(preset, precision, threadCount, r.GetValue(warmup), Math.Max(1, r.GetValue(steps)), peak);
                    rows.Add(row);
                    if (!asJson)
                        Console.Out.WriteLine($"{preset.Name,-6} {precisionName,-5} params {(long)row["params"] / 1e6,6:F2}M  " +
                            $"{row["tokens_per_s"],8} tok/s  {row["gflops"],7} GFLOP/s  MFU {row["mfu_percent"],5}% (PaLM {row["model_mfu_percent"],5}%)  " +
                            $"step {row["step_ms"]} ms  loss {row["loss"]}  heap {row["heap_mb"]} MB");
                }
            }
            if (asJson) Console.Out.WriteLine(PlainJson.Serialize(new Dictionary<string, object>
            {
                ["peak_gflops"] = Math.Round(peak / 1e9, 2),
                ["threads"] = threadCount, ["results"] = rows
            }));
            return 0;
        }));
        return command;
    }

    private static string[] Split(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static Dictionary<string, object> Measure(Preset p, TrainingPrecision precision, int threads, int warmup, int steps, double peak)
    {
        var config = new LlamaConfig
        {
            Architecture = "llama", ContextLength = p.Tokens, Dim = p.Dim, Layers = p.Layers, Heads = p.Heads, KvHeads = p.KvHeads,
            HeadSize = p.Dim / p.Heads, FeedForwardDim = p.FeedForward, VocabSize = p.Vocab, RmsEpsilon = 1e-5f,
            RopeFreqBase = 10000f, RopeFreqScale = 1f, RopeDims = p.Dim / p.Heads, RopeLayout = RopeLayout.Normal,
        };
        using var model = new LlamaTrainingModel(config, new TrainingModelOptions { Threads = threads, Precision = precision });
        model.InitializeRandom(1);
        var optimizer = new AdamW(model.Parameters, learningRate: 1e-4f);
        var rng = new Random(2);
        int n = p.Batch * p.Tokens;
        var tokens = new int[n + 1];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = rng.Next(p.Vocab);
        var batch = new Batch(p.Batch, p.Tokens, tokens[..n], tokens[1..], [.. Enumerable.Repeat(p.Tokens, p.Batch)]);
        float loss = 0;
        void Step()
        {
            loss = model.Forward(batch);
            model.Parameters.ZeroGrad();
            model.Backward();
            optimizer.Step();
        }
        // Warm up for the given steps and at least 2 s, so tiered JIT compilation has settled before timing.
        long warmBegin = Stopwatch.GetTimestamp();
        for (int i = 0; i < warmup || (Stopwatch.GetElapsedTime(warmBegin).TotalSeconds < 2 && i < 200); i++) Step();
        long begin = Stopwatch.GetTimestamp();
        int done = 0;
        while (done < steps || (Stopwatch.GetElapsedTime(begin).TotalSeconds < 5 && done < 100))
        {
            Step();
            done++;
        }
        double seconds = Stopwatch.GetElapsedTime(begin).TotalSeconds;
        GC.Collect();
        long heap = GC.GetTotalMemory(forceFullCollection: true);
        long parameters = model.BaseParameterCount;
        double tokensPerSecond = n * done / seconds;
        double flops = 6.0 * parameters * tokensPerSecond;
        // PaLM's model FLOPs: 6·(N without the embedding table) + 12·layers·dim·T attention, per token.
        double modelFlops = (6.0 * (parameters - (long)p.Vocab * p.Dim) + 12.0 * p.Layers * p.Dim * p.Tokens) * tokensPerSecond;
        GC.KeepAlive(model);
        return new Dictionary<string, object>
        {
            ["preset"] = p.Name,
            ["precision"] = precision == TrainingPrecision.Bf16 ? "bf16" : "fp32",
            ["params"] = parameters,
            ["batch"] = $"{p.Batch}x{p.Tokens}",
            ["steps"] = done,
            ["step_ms"] = Math.Round(seconds * 1000 / done, 1),
            ["tokens_per_s"] = Math.Round(tokensPerSecond, 1),
            ["gflops"] = Math.Round(flops / 1e9, 2),
            ["mfu_percent"] = Math.Round(100 * flops / peak, 1),
            ["model_mfu_percent"] = Math.Round(100 * modelFlops / peak, 1),
            ["loss"] = Math.Round(loss, 4),
            ["heap_mb"] = Math.Round(heap / 1048576.0, 1),
        };
    }

    /// <summary>GFLOP/s of the three products on the 24m preset's shapes (rows 2048), F32 and bf16 B operands.</summary>
    private static void MeasureGemm(int threads)
    {
        using var pool = new ComputePool(threads);
        foreach (var (name, outF, inF) in new[] { ("qkvo 288x288", 288, 288), ("ffn 768x288", 768, 288), ("head 32000x288", 32000, 288) })
        {
            const int rows = 2048;
            var x = new float[rows * inF];
            var w = new float[outF * inF];
            var y = new float[rows * outF];
            var rng = new Random(1);
            for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
            for (int i = 0; i < w.Length; i++) w[i] = (float)rng.NextDouble();
            for (int i = 0; i < y.Length; i++) y[i] = (float)rng.NextDouble();
            var w16 = new ushort[w.Length];
            BFloat16.Round(w, w16);
            var dx = new float[x.Length];
            var dw = new float[w.Length];
            double flops = 2.0 * rows * inF * outF;
            double Time(Action run)
            {
                run();
                long begin = Stopwatch.GetTimestamp();
                int n = 0;
                do { run(); n++; } while (Stopwatch.GetElapsedTime(begin).TotalSeconds < 0.5);
                return flops * n / Stopwatch.GetElapsedTime(begin).TotalSeconds / 1e9;
            }
            Console.Out.WriteLine($"sgemm {name,-15} y=x·Wᵀ {Time(() => Sgemm.MultiplyTransposed(x, w, y, rows, outF, inF, pool)),6:F1}" +
                $"  dx=dy·W {Time(() => Sgemm.Multiply(y, w, dx, rows, inF, outF, pool)),6:F1}" +
                $"  dW+=dyᵀ·x {Time(() => Sgemm.AddTransposedMultiply(y, x, dw, outF, inF, rows, pool)),6:F1}" +
                $"  bf16 W: y {Time(() => Sgemm.MultiplyTransposed(x, w16, y, rows, outF, inF, pool)),6:F1}" +
                $"  dx {Time(() => Sgemm.Multiply(y, w16, dx, rows, inF, outF, pool)),6:F1} GFLOP/s");
        }
    }
}
