// Perplexity and KL divergence against the same computation on llama.cpp's logits (LLamaSharp) for the same file and chunks.
using Quill.Evaluation;
using Quill.Models;
using Quill.Models.Synthetic;
using Quill.Tensors;
using Quill.Tests.Cli;
using Quill.Tests.Models;
using Quill.TestSupport.LlamaCpp;

namespace Quill.Tests.Evaluation;

public sealed class PerplexityTests
{
    private const int Context = 64;

    private static readonly SyntheticModelOptions Model = new()
    {
        Dim = 128, Layers = 2, Heads = 4, KvHeads = 2, FeedForwardDim = 256, VocabSize = 512, Type = GgmlType.F16, Seed = 31,
    };

    /// <summary>About 5 chunks of 64 tokens in the synthetic vocabulary.</summary>
    private static readonly string Text = string.Join(' ', Enumerable.Range(0, 200).Select(i => new[] { "the", "king", "said", "unto", "them", "and", "it",
        "came", "to", "pass", "in", "land" }[(i * 7 + i / 3) % 12]));

    private static LanguageModel Load(string path) => LanguageModel.Load(path, new LoadOptions { Threads = 2, KvCacheType = KvCacheType.F32 });

    [Fact]
    public void MatchesTheSameComputationOnLlamaCppLogits()
    {
        string path = SyntheticModels.Get(Model);
        using LanguageModel lm = Load(path);
        PerplexityResult ours = PerplexityEvaluator.Evaluate(lm, Text, new PerplexityOptions { Context = Context });
        int[] tokens = lm.Tokenizer.Encode(Text, addSpecial: true);
        Assert.Equal(lm.Tokenizer.BosId, tokens[0]);
        Assert.Equal(tokens.Length / Context, ours.Chunks);
        Assert.Equal(ours.Chunks * (Context - 1 - Context / 2), ours.Tokens);

        var nll = new List<double>();
        for (int c = 0; c < ours.Chunks; c++)
        {
            int[] chunk = tokens[(c * Context)..((c + 1) * Context)];
            chunk[0] = lm.Tokenizer.BosId; // llama-perplexity's BOS at the start of every chunk
            float[][] logits = LlamaCppReference.Logits(path, chunk);
            for (int i = Context / 2; i < Context - 1; i++) nll.Add(-ScalarLogSoftmax(logits[i], tokens[c * Context + i + 1]));
        }
        double mean = nll.Average(), ppl = Math.Exp(mean);
        double variance = nll.Select(v => v * v).Average() - mean * mean;
        Assert.Equal(ppl, ours.Perplexity, ppl * 1e-4);
        Assert.Equal(Math.Sqrt(variance / (nll.Count - 1)) * ppl, ours.StandardError, ours.StandardError * 1e-2);
    }

    [Fact]
    public void KlDivergenceMatchesLlamaCppLogitsOfBothModels()
    {
        string basePath = SyntheticModels.Get(Model);
        string quantized = SyntheticModels.Quantized(Model, "Q8_0");
        using LanguageModel lm = Load(quantized);
        using LanguageModel reference = Load(basePath);
        PerplexityResult ours = PerplexityEvaluator.Evaluate(lm, reference, Text, new PerplexityOptions { Context = Context, MaxChunks = 2 });
        KlDivergenceStatistics k = ours.KlDivergence!;

        int[] tokens = lm.Tokenizer.Encode(Text, addSpecial: true);
        var kld = new List<double>();
        int same = 0;
        for (int c = 0; c < 2; c++)
        {
            int[] chunk = tokens[(c * Context)..((c + 1) * Context)];
            chunk[0] = lm.Tokenizer.BosId;
            float[][] q = LlamaCppReference.Logits(quantized, chunk), b = LlamaCppReference.Logits(basePath, chunk);
            for (int i = Context / 2; i < Context - 1; i++)
            {
                double[] lq = LogProbabilities(q[i]), lb = LogProbabilities(b[i]);
                kld.Add(lb.Select((l, j) => Math.Exp(l) * (l - lq[j])).Sum());
                if (Array.IndexOf(lq, lq.Max()) == Array.IndexOf(lb, lb.Max())) same++;
            }
        }
        Assert.Equal(kld.Count, ours.Tokens);
        Assert.True(k.MeanKlDivergence.Value > 0);
        Assert.Equal(kld.Average(), k.MeanKlDivergence.Value, kld.Average() * 2e-2 + 1e-7);
        Assert.Equal(kld.Max(), k.KlDivergence.Maximum, kld.Max() * 2e-2 + 1e-7);
        Assert.InRange(k.SameTopP.Value, (double)(same - 1) / kld.Count, (double)(same + 1) / kld.Count);
        Assert.True(k.KlDivergence.Minimum <= k.KlDivergence.Median && k.KlDivergence.Median <= k.KlDivergence.P99);
    }

    [Fact]
    public void AModelAgainstItselfHasNoDivergence()
    {
        string path = SyntheticModels.Get(Model);
        using LanguageModel lm = Load(path);
        using LanguageModel again = Load(path);
        KlDivergenceStatistics k = PerplexityEvaluator.Evaluate(lm, again, Text, new PerplexityOptions { Context = Context }).KlDivergence!;
        Assert.Equal(1.0, k.PerplexityRatio, 1e-12);
        Assert.Equal(0, k.MeanKlDivergence.Value, 1e-9);
        Assert.Equal(0, k.RmsDeltaP.Value, 1e-9);
        Assert.Equal(1.0, k.SameTopP.Value);
        Assert.Equal(1.0, k.LogPerplexityCorrelation, 1e-9);
    }

    [Fact]
    public void ShortTextAndMismatchedVocabulariesAreRefused()
    {
        using LanguageModel lm = Load(SyntheticModels.Get(Model));
        var e = Assert.Throws<ArgumentException>(() => PerplexityEvaluator.Evaluate(lm, "the king said", new PerplexityOptions { Context = Context }));
        Assert.Contains($"at least {2 * Context}", e.Message);
        using LanguageModel other = Load(SyntheticModels.Get(Model with { VocabSize = 600 }));
        Assert.Throws<ArgumentException>(() => PerplexityEvaluator.Evaluate(lm, other, Text, new PerplexityOptions { Context = Context }));
    }

    [Fact]
    public void CliPrintsJsonWithTheStatistics()
    {
        string text = Path.Combine(Directory.CreateTempSubdirectory("quill-ppl-").FullName, "text.txt");
        File.WriteAllText(text, Text);
        string path = SyntheticModels.Get(Model);
        string quantized = SyntheticModels.Quantized(Model, "Q8_0");
        CliResult r = QuillCli.Run("perplexity", "-m", quantized, "-f", text, "-c", "64", "--kl-divergence-base", path, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = System.Text.Json.JsonDocument.Parse(r.Stdout);
        var root = json.RootElement;
        Assert.True(root.GetProperty("ppl").GetDouble() > 1);
        Assert.True(root.GetProperty("ppl_stderr").GetDouble() > 0);
        Assert.True(root.GetProperty("chunks").GetInt32() >= 2);
        foreach (string key in new[] { "mean", "max", "p99_9", "p99", "p95", "p90", "median", "p10", "p5", "p1", "min" })
            Assert.True(root.GetProperty("kld").TryGetProperty(key, out _), key);
        Assert.True(root.GetProperty("delta_p").TryGetProperty("rms", out _));
        Assert.InRange(root.GetProperty("same_top_p").GetDouble(), 0, 1);

        CliResult plain = QuillCli.Run("perplexity", "-m", path, "-f", text, "-c", "64");
        Assert.Equal(0, plain.ExitCode);
        Assert.Contains("Final estimate: PPL = ", plain.Stdout);
        CliResult missing = QuillCli.Run("perplexity", "-m", path, "-f", text + ".missing");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains(".missing", missing.Stderr);
    }

    /// <summary>llama.cpp's log_softmax (the sum of exponentials in double).</summary>
    private static double ScalarLogSoftmax(float[] logits, int token)
    {
        float max = logits.Max();
        double sum = 0;
        foreach (float l in logits) sum += MathF.Exp(l - max);
        return logits[token] - max - Math.Log(sum);
    }

    private static double[] LogProbabilities(float[] logits)
    {
        double max = logits.Max(), sum = logits.Sum(l => Math.Exp(l - max));
        return [.. logits.Select(l => l - max - Math.Log(sum))];
    }
}
