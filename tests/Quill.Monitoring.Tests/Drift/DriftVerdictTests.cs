// Verdicts on clear cases: identical distributions do not drift; shifted numbers, re-weighted categories and texts on another topic do.
using Quill.Monitoring.Data;
using Quill.Monitoring.Drift;

namespace Quill.Monitoring.Tests.Drift;

public sealed class DriftVerdictTests
{
    private static readonly ColumnSpec[] NumbersAndCategories = [new("latency", ColumnKind.Number), new("plan", ColumnKind.Category)];

    [Theory]
    [InlineData(300)]  // the p-value rules
    [InlineData(3000)] // the distance rules
    public void SameDistributionDoesNotDrift(int rows)
    {
        using var detector = new DriftDetector();
        DriftReport report = detector.Compare(SampleData.Table("ref", rows, 1), SampleData.Table("cur", rows, 2), NumbersAndCategories);
        Assert.All(report.Columns, c => Assert.False(c.Drift, $"{c.Name}: {c.Rule} score {c.Score}"));
        Assert.Equal(0, report.DriftShare);
    }

    [Theory]
    [InlineData(300, "ks p_value < 0.05", "chi2 p_value < 0.05")]
    [InlineData(3000, "wasserstein_normed >= 0.1", "jensen_shannon >= 0.1")]
    public void ShiftedNumbersAndReweightedCategoriesDrift(int rows, string numberRule, string categoryRule)
    {
        using var detector = new DriftDetector();
        Sample reference = SampleData.Table("ref", rows, 1), current = SampleData.Table("cur", rows, 2, shift: 5, weights: [2, 3, 5]);
        DriftReport report = detector.Compare(reference, current, NumbersAndCategories);
        ColumnDrift latency = report.Columns[0], plan = report.Columns[1];
        Assert.True(latency.Drift);
        Assert.Equal(numberRule, latency.Rule);
        Assert.True(plan.Drift);
        Assert.Equal(categoryRule, plan.Rule);
        Assert.Equal(1, report.DriftShare);
        Assert.Equal("significant", plan.Tests.Psi!.Level);
    }

    [Fact]
    public void OnlyTheShiftedColumnDriftsAndTheShareSaysSo()
    {
        using var detector = new DriftDetector();
        DriftReport report = detector.Compare(SampleData.Table("ref", 400, 1), SampleData.Table("cur", 400, 2, shift: 8), NumbersAndCategories);
        Assert.True(report.Columns[0].Drift);
        Assert.False(report.Columns[1].Drift);
        Assert.Equal(0.5, report.DriftShare);
    }

    [Fact]
    public void TextsOnAnotherTopicDriftAndTextsOnTheSameTopicDoNot()
    {
        using var detector = new DriftDetector();
        ColumnSpec[] text = [new("question", ColumnKind.Text)];
        Sample reference = SampleData.Table("ref", 120, 1);
        DriftReport same = detector.Compare(reference, SampleData.Table("cur", 120, 2), text);
        DriftReport other = detector.Compare(reference, SampleData.Table("cur", 120, 3, topic: SampleData.ScienceQuestions), text);
        ColumnDrift stable = same.Columns[0], drifted = other.Columns[0];
        Assert.False(stable.Drift, $"same topic: AUC {stable.Score} vs bound {stable.Threshold}");
        Assert.True(drifted.Drift, $"other topic: AUC {drifted.Score} vs bound {drifted.Threshold}");
        Assert.True(drifted.Score > 0.95, $"other topic AUC {drifted.Score}");
        Assert.True(other.Columns[0].Tests.Mmd!.PValue < 0.05);
        Assert.True(same.Columns[0].Tests.Mmd!.PValue > 0.05);
    }

    [Fact]
    public void KindsAreInferred()
    {
        Sample reference = SampleData.Table("ref", 60, 1), current = SampleData.Table("cur", 60, 2);
        var kinds = DriftDetector.InferColumns(reference, current).ToDictionary(c => c.Name, c => c.Kind);
        Assert.Equal(ColumnKind.Number, kinds["latency"]);
        Assert.Equal(ColumnKind.Category, kinds["plan"]);
        Assert.Equal(ColumnKind.Text, kinds["question"]);
        Assert.Equal(ColumnKind.Number, DriftDetector.InferKind(["1", "2.5", null, "-3e2"]));
        Assert.Equal(ColumnKind.Text, DriftDetector.InferKind(["a b", "c d", "e f"]));
    }

    [Fact]
    public void A_repeated_comparison_embeds_only_the_texts_it_has_not_seen()
    {
        var counting = new CountingEmbedder(new Quill.Search.HashingEmbedder());
        using var detector = new DriftDetector(() => counting);
        ColumnSpec[] text = [new("question", ColumnKind.Text)];
        Sample reference = SampleData.Table("ref", 120, 1), current = SampleData.Table("cur", 120, 2);
        DriftReport first = detector.Compare(reference, current, text);
        int embedded = counting.Texts;
        Assert.InRange(embedded, 2, 240);
        DriftReport again = detector.Compare(reference, current, text);
        Assert.Equal(embedded, counting.Texts);  // the watch loop's next check costs no embedding
        Assert.Equal(first.Columns[0].Score, again.Columns[0].Score);
        detector.Compare(reference, SampleData.Table("cur", 120, 3, topic: SampleData.ScienceQuestions), text);
        Assert.True(counting.Texts > embedded);
    }

    private sealed class CountingEmbedder(Quill.Embeddings.ITextEmbedder inner) : Quill.Embeddings.ITextEmbedder
    {
        public int Texts { get; private set; }

        public string ModelName => inner.ModelName;

        public int Dimensions => inner.Dimensions;

        public int MaxTokens => inner.MaxTokens;

        public Quill.Tokenizers.ITokenizer Tokenizer => inner.Tokenizer;

        public Quill.Embeddings.EmbeddingResult Embed(IReadOnlyList<string> texts, CancellationToken ct = default)
        {
            Texts += texts.Count;
            return inner.Embed(texts, ct);
        }

        public void Dispose() => inner.Dispose();
    }
}
