// `quill compress report`: a base model and its shrunk variants (quantized, pruned, distilled) side by side by size, perplexity and KL divergence.
using System.Globalization;
using System.Text;
using System.Text.Json;
using Quill.Evaluation;
using Quill.Formats;
using Quill.Models;
using Quill.Pruning;
using Quill.Quantization;
using Quill.Training.Reporting;

namespace Quill.Training.Compression;

/// <summary>Which variants to make and how to score them.</summary>
public sealed record CompressionReportOptions
{
    /// <summary>Quantization mixes to make from the base (llama.cpp's names).</summary>
    public IReadOnlyList<string> Types { get; init; } = ["Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q4_0", "Q3_K_M", "Q2_K"];

    /// <summary>Also prune the base to 50 % (unstructured) and 2:4: by Wanda with <see cref="CalibrationText"/>, else by magnitude.</summary>
    public bool Prune { get; init; } = true;

    /// <summary>Calibration text for Wanda's activation norms (and nothing else); null: magnitude pruning.</summary>
    public string? CalibrationText { get; init; }

    /// <summary>A distilled (or any other) student model with the base's vocabulary, scored like the variants.</summary>
    public string? Student { get; init; }

    /// <summary>Perplexity chunk length and the most chunks scored.</summary>
    public int Context { get; init; } = 512;

    public int? MaxChunks { get; init; }

    public int Threads { get; init; }

    /// <summary>One line per step ("quantizing Q4_K_M", "scoring …").</summary>
    public IProgress<string>? Log { get; init; }
}

/// <summary>One row of the report: a model, how it was made, its size and what it costs against the base.</summary>
public sealed record CompressionRow(string Name, string Method, long FileBytes, double BitsPerWeight, double Sparsity, double Perplexity,
    double PerplexityError, double PerplexityRatio, double MeanKlDivergence, double KlDivergence99, double SameTopP);

/// <summary>
/// Makes each variant of a base model (every quantization mix with <see cref="ModelQuantizer"/>, 50 % and 2:4
/// pruning with <see cref="ModelPruner"/>, a given student) in OUT/variants/, scores each on the same text and chunks
/// with <see cref="PerplexityEvaluator"/> against the base (perplexity, PPL ratio, mean and 99th-percentile KL
/// divergence, same top token), and writes OUT/report.md (the table), OUT/report.json and OUT/size-vs-perplexity.png.
/// Bits per weight count the file's tensor bytes over the base's weight count (pruned files are stored dense, so
/// their size does not shrink: the sparsity column says what they removed).
/// </summary>
public static class CompressionReport
{
    public static IReadOnlyList<CompressionRow> Run(string baseModel, string text, string outputFolder, CompressionReportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        options ??= new CompressionReportOptions();
        string variants = Path.Combine(outputFolder, "variants");
        Directory.CreateDirectory(variants);
        var load = new LoadOptions { Threads = options.Threads, KvCacheType = KvCacheType.F32 };
        var perplexity = new PerplexityOptions { Context = options.Context, MaxChunks = options.MaxChunks };
        using LanguageModel reference = LanguageModel.Load(baseModel, load);
        long weights = reference.File.Tensors.Sum(t => t.ElementCount);
        string name = Path.GetFileNameWithoutExtension(baseModel);
        var rows = new List<CompressionRow>();

        options.Log?.Report($"scoring the base {Path.GetFileName(baseModel)}");
        PerplexityResult basePpl = PerplexityEvaluator.Evaluate(reference, text, perplexity);
        rows.Add(new CompressionRow(name, $"base ({DominantType(reference)})", TensorBytes(baseModel), 8.0 * TensorBytes(baseModel) / weights, 0,
            basePpl.Perplexity, basePpl.StandardError, 1, 0, 0, 1));

        foreach (string type in options.Types)
        {
            QuantizationMix mix = QuantizationMix.Parse(type);
            string path = Path.Combine(variants, $"{name}-{mix.Name.ToLowerInvariant()}.gguf");
            options.Log?.Report($"quantizing to {mix.Name}");
            ModelQuantizer.Quantize(baseModel, path, mix, new QuantizeOptions { Threads = Math.Max(1, options.Threads) });
            rows.Add(Score(path, mix.Name, $"quantized {mix.Name}", 0, reference, text, perplexity, load, weights, options.Log));
        }
        if (options.Prune)
        {
            ImportanceMatrix? activations = null;
            if (options.CalibrationText is { } calibration)
            {
                options.Log?.Report("calibrating for Wanda");
                activations = ImportanceMatrixCollector.Compute(reference, calibration, new ImportanceMatrixOptions { Context = options.Context }).Matrix;
            }
            PruneMethod method = activations is null ? PruneMethod.Magnitude : PruneMethod.Wanda;
            string how = method.ToString().ToLowerInvariant();
            // Pruning works on float weights: a quantized base is pruned from its F16 copy (dequantized exactly).
            string pruneSource = baseModel;
            if (reference.File.Tensors.Any(t => ModelPruner.IsBlockLinear(t) && t.Type is not (Tensors.GgmlType.F32 or Tensors.GgmlType.F16
                or Tensors.GgmlType.BF16)))
            {
                pruneSource = Path.Combine(variants, $"{name}-f16-for-pruning.gguf");
                options.Log?.Report("the base is quantized: pruning an F16 copy of it");
                ModelQuantizer.Quantize(baseModel, pruneSource, QuantizationMix.F16, new QuantizeOptions { Threads = Math.Max(1, options.Threads) });
            }
            foreach ((string label, SparsityPattern? pattern) in new (string, SparsityPattern?)[] { ("50%", null), ("2:4", new SparsityPattern(2, 4)) })
            {
                string path = Path.Combine(variants, $"{name}-{how}-{(pattern is null ? "50" : "2of4")}.gguf");
                options.Log?.Report($"pruning {label} by {how}");
                IReadOnlyList<PrunedTensor> pruned = ModelPruner.Prune(pruneSource, path, new PruneOptions
                {
                    Sparsity = 0.5, Pattern = pattern, Method = method, Activations = activations, Threads = Math.Max(1, options.Threads),
                });
                double sparsity = (double)pruned.Sum(t => t.Zeroed) / weights;
                rows.Add(Score(path, $"{how} {label}", $"pruned {label} ({how})", sparsity, reference, text, perplexity, load, weights, options.Log));
            }
        }
        if (options.Student is { } student)
            rows.Add(Score(student, Path.GetFileNameWithoutExtension(student), "student", 0, reference, text, perplexity, load, weights, options.Log));

        Write(outputFolder, baseModel, rows, basePpl);
        return rows;
    }

    private static CompressionRow Score(string path, string name, string method, double sparsity, LanguageModel reference, string text,
        PerplexityOptions perplexity, LoadOptions load, long baseWeights, IProgress<string>? log)
    {
        log?.Report($"scoring {name}");
        using LanguageModel model = LanguageModel.Load(path, load);
        PerplexityResult r = PerplexityEvaluator.Evaluate(model, reference, text, perplexity);
        KlDivergenceStatistics k = r.KlDivergence!;
        long bytes = TensorBytes(path);
        return new CompressionRow(name, method, bytes, 8.0 * bytes / baseWeights, sparsity, r.Perplexity, r.StandardError, k.PerplexityRatio,
            k.MeanKlDivergence.Value, k.KlDivergence.P99, k.SameTopP.Value);
    }

    private static long TensorBytes(string path)
    {
        using var file = Formats.Gguf.GgufFile.Open(path);
        return file.Tensors.Sum(t => t.ByteLength);
    }

    private static string DominantType(LanguageModel model) =>
        model.File.Tensors.GroupBy(t => t.Type).OrderByDescending(g => g.Sum(t => t.ElementCount)).First().Key.ToString();

    private static void Write(string folder, string baseModel, IReadOnlyList<CompressionRow> rows, PerplexityResult basePpl)
    {
        var inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine(inv, $"# Compression report: {Path.GetFileName(baseModel)}");
        md.AppendLine();
        md.AppendLine(string.Create(inv, $"Perplexity by llama-perplexity's method on {basePpl.Chunks} chunks ({basePpl.Tokens} tokens scored); ") +
            "KL divergence of each variant from the base on the same chunks.");
        md.AppendLine();
        md.AppendLine("| model | how | size MiB | bits/weight | sparsity | PPL | ± | PPL ratio | mean KLD | 99% KLD | same top |");
        md.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (CompressionRow r in rows)
        {
            md.AppendLine(inv, $"| {r.Name} | {r.Method} | {r.FileBytes / 1048576.0:F2} | {r.BitsPerWeight:F2} | {r.Sparsity:P0} | {r.Perplexity:F4} | " +
                $"{r.PerplexityError:F4} | {r.PerplexityRatio:F4} | {r.MeanKlDivergence:F6} | {r.KlDivergence99:F6} | {r.SameTopP:P2} |");
        }
        AtomicFileWriter.Write(Path.Combine(folder, "report.md"), s => s.Write(Encoding.UTF8.GetBytes(md.ToString())));
        var json = new Dictionary<string, object?>
        {
            ["model"] = Path.GetFileName(baseModel),
            ["chunks"] = basePpl.Chunks,
            ["tokens"] = basePpl.Tokens,
            ["rows"] = rows.Select(r => new Dictionary<string, object?>
            {
                ["name"] = r.Name, ["method"] = r.Method, ["file_bytes"] = r.FileBytes, ["bits_per_weight"] = r.BitsPerWeight, ["sparsity"] = r.Sparsity,
                ["ppl"] = r.Perplexity, ["ppl_stderr"] = r.PerplexityError, ["ppl_ratio"] = r.PerplexityRatio, ["kld_mean"] = r.MeanKlDivergence,
                ["kld_p99"] = r.KlDivergence99, ["same_top_p"] = r.SameTopP,
            }),
        };
        string text = PlainJson.Serialize(json, new JsonSerializerOptions { WriteIndented = true });
        AtomicFileWriter.Write(Path.Combine(folder, "report.json"), s => s.Write(Encoding.UTF8.GetBytes(text)));
        ScatterPlot.Write(Path.Combine(folder, "size-vs-perplexity.png"), [.. rows.Select(r => (r.FileBytes / 1048576.0, r.Perplexity, r.Name))],
            $"{Path.GetFileNameWithoutExtension(baseModel)}: size against perplexity", "size (MiB)", "perplexity");
    }
}
