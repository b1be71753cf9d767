// quill prune: per-row sparsity by magnitude and Wanda (against a plain reference), 2:4 patterns, what is left alone, bad requests.
using Quill.Evaluation;
using Quill.Formats.Gguf;
using Quill.Models.Synthetic;
using Quill.Pruning;
using Quill.Quantization;
using Quill.Tensors;
using Quill.Tensors.Quantization;
using Quill.Tests.Cli;
using Quill.Tests.Models;

namespace Quill.Tests.Pruning;

public sealed class PruningTests : IDisposable
{
    private static readonly SyntheticModelOptions Model = new()
    {
        Dim = 128, Layers = 2, Heads = 4, KvHeads = 2, FeedForwardDim = 256, VocabSize = 512, Type = GgmlType.F16, Seed = 51,
    };

    private static readonly string Text = string.Join(' ', Enumerable.Range(0, 200).Select(i => new[] { "and", "the", "lord", "spake", "unto",
        "moses", "saying", "speak", "children", "israel" }[(i * 3 + i / 5) % 10]));

    private readonly string _folder = Directory.CreateTempSubdirectory("quill-prune-").FullName;

    /// <summary>Deletes this test's scratch folder (xUnit makes one instance per test and disposes it).</summary>
    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private string Temp(string name) => Path.Combine(_folder, name);

    /// <summary>The rule written plainly: scores |w|·norm, the k lowest (by score, then by column) zeroed.</summary>
    private static float[] Reference(float[] row, float[]? norms, int k)
    {
        var zeroed = row.Select((w, j) => (Score: Math.Abs((double)w) * (norms?[j] ?? 1.0), Column: j))
            .OrderBy(s => s.Score).ThenBy(s => s.Column).Take(k).Select(s => s.Column).ToHashSet();
        return [.. row.Select((w, j) => zeroed.Contains(j) ? 0f : w)];
    }

    [Theory]
    [InlineData(1, 0.5), InlineData(31, 0.5), InlineData(33, 0.3), InlineData(256, 0.5), InlineData(4097, 0.9), InlineData(64, 0.0)]
    public void RowsMatchThePlainRule(int columns, double sparsity)
    {
        var random = new Random(columns);
        float[] row = [.. Enumerable.Range(0, columns).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        float[] norms = [.. Enumerable.Range(0, columns).Select(_ => (float)(random.NextDouble() * 4))];
        int k = WeightPruning.PrunedCount(columns, sparsity);
        foreach (float[]? n in new[] { null, norms })
        {
            float[] ours = (float[])row.Clone();
            Assert.Equal(k, WeightPruning.PruneRow(ours, n, sparsity, null));
            Assert.Equal(Reference(row, n, k), ours);
        }
    }

    [Fact]
    public void WandaOrdersByWeightTimesActivationNorm()
    {
        // magnitude would drop the two smallest weights (0.1, 0.2); Wanda weighs them by huge inputs and drops 0.9 and 0.8 instead
        float[] row = [0.1f, 0.9f, -0.2f, 0.8f];
        float[] norms = [100f, 0.01f, 50f, 0.02f];
        float[] wanda = (float[])row.Clone(), magnitude = (float[])row.Clone();
        WeightPruning.PruneRow(wanda, norms, 0.5, null);
        WeightPruning.PruneRow(magnitude, default, 0.5, null);
        Assert.Equal([0.1f, 0f, -0.2f, 0f], wanda);
        Assert.Equal([0f, 0.9f, 0f, 0.8f], magnitude);
        float[] ties = [0.5f, -0.5f, 0.5f, -0.5f];
        WeightPruning.PruneRow(ties, default, 0.5, null);
        Assert.Equal([0f, 0f, 0.5f, -0.5f], ties);
    }

    [Fact]
    public void TwoFourKeepsTheBestTwoOfEveryFour()
    {
        float[] row = [0.1f, -0.4f, 0.3f, 0.2f, 5f, -6f, 7f, 8f, 0f, 0f, 1f, 0f];
        Assert.Equal(6, WeightPruning.PruneRow(row, default, 0, new SparsityPattern(2, 4)));
        Assert.Equal([0f, -0.4f, 0.3f, 0f, 0f, 0f, 7f, 8f, 0f, 0f, 1f, 0f], row);
        Assert.Throws<ArgumentException>(() => WeightPruning.PruneRow(new float[6], default, 0, new SparsityPattern(2, 4)));
        Assert.Equal(new SparsityPattern(2, 4), SparsityPattern.Parse("2:4"));
        Assert.Throws<ArgumentException>(() => SparsityPattern.Parse("4:2"));
    }

    [Theory]
    [InlineData("magnitude", null), InlineData("wanda", null), InlineData("wanda", "2:4")]
    public void EveryBlockLinearRowIsPrunedExactlyAndTheRestIsUntouched(string method, string? pattern)
    {
        string source = SyntheticModels.Get(Model);
        ImportanceMatrix? activations = null;
        if (method == "wanda")
        {
            using LanguageModel lm = LanguageModel.Load(source, new LoadOptions { Threads = 2 });
            activations = ImportanceMatrixCollector.Compute(lm, Text, new ImportanceMatrixOptions { Context = 64 }).Matrix;
        }
        string output = Temp("pruned.gguf");
        var options = new PruneOptions
        {
            Sparsity = 0.5, Pattern = pattern is null ? null : SparsityPattern.Parse(pattern),
            Method = method == "wanda" ? PruneMethod.Wanda : PruneMethod.Magnitude, Activations = activations, Threads = 2,
        };
        IReadOnlyList<PrunedTensor> result = ModelPruner.Prune(source, output, options);
        Assert.Equal(7 * Model.Layers, result.Count);
        Assert.All(result, t => Assert.Equal(0.5, t.Sparsity));

        using GgufFile before = GgufFile.Open(source), after = GgufFile.Open(output);
        Assert.Equal(before.Tensors.Select(t => (t.Name, t.Type)), after.Tensors.Select(t => (t.Name, t.Type)));
        QuantFormat f16 = QuantFormats.Get(GgmlType.F16);
        foreach (GgufTensorInfo t in before.Tensors)
        {
            GgufTensorInfo p = after.GetTensor(t.Name);
            if (!ModelPruner.IsBlockLinear(t))
            {
                Assert.True(before.GetTensorData(t).SequenceEqual(after.GetTensorData(p)), $"{t.Name} changed");
                continue;
            }
            int columns = (int)t.Shape[0];
            float[]? norms = activations?.Entries[t.Name].SumOfSquares.Select(MathF.Sqrt).ToArray();
            var original = new float[columns];
            var pruned = new float[columns];
            for (int r = 0; r < t.Shape[1]; r++)
            {
                f16.Dequantize(before.GetTensorData(t).Slice(r * 2 * columns, 2 * columns), original);
                f16.Dequantize(after.GetTensorData(p).Slice(r * 2 * columns, 2 * columns), pruned);
                Assert.True(pruned.Count(w => w == 0) >= columns / 2, $"{t.Name} row {r}");
                for (int j = 0; j < columns; j++) Assert.True(pruned[j] == 0 || pruned[j] == original[j], $"{t.Name}[{r},{j}] was changed, not zeroed");
                if (pattern is not null)
                {
                    for (int g = 0; g < columns; g += 4) Assert.True(pruned.Skip(g).Take(4).Count(w => w == 0) >= 2, $"{t.Name} row {r} group {g}");
                }
                else if (r < 2)
                {
                    Assert.Equal(Reference(original, norms, columns / 2), pruned);
                }
            }
        }
        using LanguageModel runs = LanguageModel.Load(output, new LoadOptions { Threads = 2 });
        Assert.True(PerplexityEvaluator.Evaluate(runs, Text, new PerplexityOptions { Context = 64 }).Perplexity > 1);
    }

    [Fact]
    public void BadRequestsAreRefusedBeforeWriting()
    {
        string source = SyntheticModels.Get(Model);
        string output = Temp("never.gguf");
        var quantized = Assert.Throws<NotSupportedException>(() =>
            ModelPruner.Prune(SyntheticModels.Quantized(Model, "Q8_0"), output, new PruneOptions()));
        Assert.Contains("then quantize", quantized.Message);
        Assert.Throws<ArgumentException>(() => ModelPruner.Prune(source, output, new PruneOptions { Method = PruneMethod.Wanda }));
        Assert.Throws<ArgumentException>(() => ModelPruner.Prune(source, output, new PruneOptions { Sparsity = 1.0 }));
        Assert.Throws<ArgumentException>(() => ModelPruner.Prune(source, source, new PruneOptions()));
        Assert.Throws<ArgumentException>(() => ModelPruner.Prune(source, output, new PruneOptions { Pattern = new SparsityPattern(2, 3) }));
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void CliPrunesWithWanda()
    {
        string text = Temp("calib.txt");
        File.WriteAllText(text, Text);
        string output = Path.Combine(Path.GetDirectoryName(text)!, "wanda.gguf");
        CliResult r = QuillCli.Run("prune", "-m", SyntheticModels.Get(Model), "-o", output, "--method", "wanda", "--calib", text, "-c", "64",
            "--pattern", "2:4");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("(50.00 %), wanda 2:4", r.Stdout);
        CliResult bad = QuillCli.Run("prune", "-m", SyntheticModels.Get(Model), "-o", output + "2", "--method", "wanda");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("--calib", bad.Stderr);
    }
}
