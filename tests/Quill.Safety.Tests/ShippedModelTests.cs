// The shipped guard.json on the held-out split of data/guard/guard.jsonl: the target, TPR ≥ 0.95 at FPR ≤ 0.05, per language.
using Quill.Embeddings;

namespace Quill.Safety.Tests;

public sealed class ShippedModelTests
{
    private const double MinTruePositiveRate = 0.95, MaxFalsePositiveRate = 0.05;

    private static string DataPath()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
            if (File.Exists(Path.Combine(dir, "Quill.slnx"))) return Path.Combine(dir, "data", "guard", "guard.jsonl");
        throw new FileNotFoundException("no Quill.slnx above the test's folder");
    }

    [Fact]
    public void Held_out_split_meets_the_target_in_every_language()
    {
        GuardExample[] test = [.. GuardDataSet.Read(DataPath()).Where(e => e.Split == "test")];
        Assert.Equal(["de", "en", "es", "fr"], test.Where(e => e.Injection).Select(e => e.Language).Distinct().Order());
        Assert.Contains(test, e => e.Kind == "lookalike");
        string cache = Directory.CreateTempSubdirectory("quill-guard-").FullName;
        try
        {
            using ITextEmbedder embedder = DefaultEmbedder.Load(cache);
            IReadOnlyList<GuardRates> rates = GuardTraining.Evaluate(new InjectionGuardView(embedder, GuardModel.Default()), test);
            foreach (GuardRates r in rates.Where(r => !r.Group.StartsWith("kind", StringComparison.Ordinal)))
            {
                Assert.True(r.TruePositiveRate >= MinTruePositiveRate, r.ToString());
                Assert.True(r.FalsePositiveRate <= MaxFalsePositiveRate, r.ToString());
            }
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public void Shipped_model_reads_the_built_in_embedder()
    {
        GuardModel model = GuardModel.Default();
        Assert.Equal(384, model.Weights.Length);
        Assert.Equal(DefaultEmbedder.ModelName, model.Embedder);
        Assert.InRange(model.Threshold, 0.3, 0.95);
    }
}
