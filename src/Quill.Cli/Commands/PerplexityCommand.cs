// `quill perplexity`: perplexity on a text by llama-perplexity's method, optionally KL divergence from a base model; the work is Quill.Evaluation's.
using System.CommandLine;
using System.Globalization;
using Quill.Evaluation;
using Quill.Formats;

namespace Quill.Cli.Commands;

internal static class PerplexityCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var file = new Option<string>("--file", "-f") { Description = "The text to score (UTF-8)", Required = true };
        var ctx = new Option<int>("--ctx", "-c") { Description = "Tokens per chunk; the second half of each is scored", DefaultValueFactory = _ => 512 };
        var chunks = new Option<int?>("--chunks") { Description = "Score at most this many chunks (default: every whole chunk)" };
        var baseModel = new Option<string?>("--kl-divergence-base")
        {
            Description = "A base model (same vocabulary) run on the same chunks: KL divergence, Δp and same-top-token statistics",
        };
        var threads = CommonOptions.Threads();
        var kvType = CommonOptions.KvType();
        var json = CommonOptions.Json();
        var command = new Command("perplexity", "Perplexity of a model on a text (llama-perplexity's method), or its KL divergence from a base model\n" +
            "  example: quill perplexity -m model-q4_k_m.gguf -f wiki.test.raw\n" +
            "  example: quill perplexity -m model-q4_k_m.gguf -f wiki.test.raw --kl-divergence-base model-f16.gguf --json")
        {
            model, file, ctx, chunks, baseModel, threads, kvType, json,
        };
        command.SetAction(r => CliErrors.Run(() =>
        {
            string textPath = r.GetValue(file)!;
            if (!File.Exists(textPath)) throw new FileNotFoundException($"{textPath}: no such text file", textPath);
            string text = File.ReadAllText(textPath);
            var load = new LoadOptions { Threads = r.GetValue(threads), KvCacheType = CommonOptions.KvType(r, kvType) };
            using LanguageModel lm = LanguageModel.Load(r.GetValue(model)!, load);
            using LanguageModel? reference = r.GetValue(baseModel) is { } b ? LanguageModel.Load(b, load) : null;
            bool asJson = r.GetValue(json);
            PerplexityResult result;
            using (var bar = new ConsoleProgress("scoring"))
            {
                result = PerplexityEvaluator.Evaluate(lm, reference, text, new PerplexityOptions
                {
                    Context = r.GetValue(ctx),
                    MaxChunks = r.GetValue(chunks),
                    Progress = new Progress<PerplexityProgress>(p => bar.Report((double)p.Chunk / p.Chunks)),
                });
            }
            if (asJson) Console.Out.WriteLine(PlainJson.Serialize(ToJson(result, r.GetValue(ctx))));
            else PrintText(result);
            return 0;
        }));
        return command;
    }

    private static void PrintText(PerplexityResult r)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.Out.WriteLine(string.Join(",", r.ChunkPerplexities.Select((p, i) => string.Format(inv, "[{0}]{1:F4}", i + 1, p))));
        Console.Out.WriteLine(string.Format(inv, "Final estimate: PPL = {0:F4} +/- {1:F5} ({2} chunks, {3} tokens scored of {4})",
            r.Perplexity, r.StandardError, r.Chunks, r.Tokens, r.TextTokens));
        if (r.KlDivergence is not { } k) return;
        Console.Out.WriteLine();
        Console.Out.WriteLine("====== Perplexity statistics ======");
        Console.Out.WriteLine(string.Format(inv, "Mean PPL(Q)                   : {0,10:F6} ± {1:F6}", k.Perplexity.Value, k.Perplexity.Error));
        Console.Out.WriteLine(string.Format(inv, "Mean PPL(base)                : {0,10:F6} ± {1:F6}", k.BasePerplexity.Value, k.BasePerplexity.Error));
        Console.Out.WriteLine(string.Format(inv, "Cor(ln(PPL(Q)), ln(PPL(base))): {0,10:F2}%", 100 * k.LogPerplexityCorrelation));
        Console.Out.WriteLine(string.Format(inv, "Mean ln(PPL(Q)/PPL(base))     : {0,10:F6} ± {1:F6}", k.MeanLogPerplexityRatio.Value,
            k.MeanLogPerplexityRatio.Error));
        Console.Out.WriteLine(string.Format(inv, "Mean PPL(Q)/PPL(base)         : {0,10:F6}", k.PerplexityRatio));
        Console.Out.WriteLine();
        Console.Out.WriteLine("====== KL divergence statistics ======");
        Console.Out.WriteLine(string.Format(inv, "Mean    KLD: {0,10:F6} ± {1:F6}", k.MeanKlDivergence.Value, k.MeanKlDivergence.Error));
        PrintPercentiles("KLD", k.KlDivergence, 6);
        Console.Out.WriteLine();
        Console.Out.WriteLine("====== Token probability statistics ======");
        Console.Out.WriteLine(string.Format(inv, "Mean    Δp: {0,8:F3} ± {1:F3} %", 100 * k.MeanDeltaP.Value, 100 * k.MeanDeltaP.Error));
        PrintPercentiles("Δp", k.DeltaP, 3, percent: true);
        Console.Out.WriteLine(string.Format(inv, "RMS Δp    : {0,8:F3} ± {1:F3} %", 100 * k.RmsDeltaP.Value, 100 * k.RmsDeltaP.Error));
        Console.Out.WriteLine(string.Format(inv, "Same top p: {0,8:F3} ± {1:F3} %", 100 * k.SameTopP.Value, 100 * k.SameTopP.Error));
    }

    private static void PrintPercentiles(string name, Percentiles p, int digits, bool percent = false)
    {
        double scale = percent ? 100 : 1;
        string unit = percent ? " %" : "";
        (string Label, double Value)[] rows =
        [
            ("Maximum", p.Maximum), ("99.9%  ", p.P999), ("99.0%  ", p.P99), ("95.0%  ", p.P95), ("90.0%  ", p.P90), ("Median ", p.Median),
            ("10.0%  ", p.P10), (" 5.0%  ", p.P05), (" 1.0%  ", p.P01), ("Minimum", p.Minimum),
        ];
        foreach ((string label, double value) in rows)
            Console.Out.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0} {1}: {2,10:F" + digits + "}{3}", label, name, scale * value, unit));
    }

    private static Dictionary<string, object?> ToJson(PerplexityResult r, int ctx)
    {
        var json = new Dictionary<string, object?>
        {
            ["ppl"] = r.Perplexity,
            ["ppl_stderr"] = r.StandardError,
            ["chunks"] = r.Chunks,
            ["tokens"] = r.Tokens,
            ["text_tokens"] = r.TextTokens,
            ["ctx"] = ctx,
            ["chunk_ppl"] = r.ChunkPerplexities,
        };
        if (r.KlDivergence is { } k)
        {
            json["base_ppl"] = k.BasePerplexity.Value;
            json["base_ppl_stderr"] = k.BasePerplexity.Error;
            json["ppl_ratio"] = k.PerplexityRatio;
            json["ln_ppl_ratio"] = k.MeanLogPerplexityRatio.Value;
            json["ln_ppl_ratio_stderr"] = k.MeanLogPerplexityRatio.Error;
            json["ln_ppl_correlation"] = k.LogPerplexityCorrelation;
            json["kld"] = Stats(k.MeanKlDivergence, k.KlDivergence);
            var deltaP = Stats(k.MeanDeltaP, k.DeltaP);
            deltaP["rms"] = k.RmsDeltaP.Value;
            deltaP["rms_stderr"] = k.RmsDeltaP.Error;
            json["delta_p"] = deltaP;
            json["same_top_p"] = k.SameTopP.Value;
            json["same_top_p_stderr"] = k.SameTopP.Error;
        }
        return json;
    }

    private static Dictionary<string, object?> Stats(Estimate mean, Percentiles p) => new()
    {
        ["mean"] = mean.Value,
        ["mean_stderr"] = mean.Error,
        ["max"] = p.Maximum,
        ["p99_9"] = p.P999,
        ["p99"] = p.P99,
        ["p95"] = p.P95,
        ["p90"] = p.P90,
        ["p75"] = p.P75,
        ["median"] = p.Median,
        ["p25"] = p.P25,
        ["p10"] = p.P10,
        ["p5"] = p.P05,
        ["p1"] = p.P01,
        ["p0_1"] = p.P001,
        ["min"] = p.Minimum,
    };
}
