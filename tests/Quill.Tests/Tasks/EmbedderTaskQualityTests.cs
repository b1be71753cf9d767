// Zero-shot classification and KeyBERT keywords with the built-in embedder, scored on labelled sets written for them.
using System.Text.Json;
using Quill.Embeddings;
using Quill.Tasks;
using Quill.Tasks.Embedding;
using Xunit.Abstractions;

namespace Quill.Tests.Tasks;

public sealed class EmbedderTaskQualityTests(ITestOutputHelper output)
{
    private static readonly Lazy<ITextEmbedder> Embedder = new(() => EmbedderCatalog.Load(threads: 2));

    private static IEnumerable<JsonElement> Lines(string name) =>
        File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Tasks", "Data", name)).Select(line => JsonDocument.Parse(line).RootElement.Clone());

    /// <summary>80 texts over 8 clearly separable topics (Tasks/Data/topics.jsonl); the issue's target is 0.85 top-1.</summary>
    [Fact]
    public void ZeroShotClassificationIsRightOnClearlySeparableTopics()
    {
        var examples = Lines("topics.jsonl").Select(e => (Text: e.GetProperty("text").GetString()!, Label: e.GetProperty("label").GetString()!)).ToList();
        string[] labels = [.. examples.Select(e => e.Label).Distinct()];
        var classifier = new ZeroShotClassifier(Embedder.Value);
        int right = 0;
        foreach (var (text, label) in examples)
        {
            IReadOnlyList<LabelScore> scores = classifier.Classify(text, labels);
            Assert.Equal(1.0, scores.Sum(s => s.Score), 9);
            if (scores[0].Label == label) right++;
            else output.WriteLine($"missed: '{text}' is {label}, said {scores[0].Label} ({scores[0].Score:F3})");
        }
        double accuracy = (double)right / examples.Count;
        output.WriteLine($"zero-shot top-1 accuracy: {right}/{examples.Count} = {accuracy:F3} over {labels.Length} labels");
        Assert.True(accuracy >= 0.85, $"top-1 accuracy {accuracy:F3} is under 0.85");
    }

    /// <summary>
    /// Ten texts with key phrases a person marked (Tasks/Data/keywords.jsonl): a keyword hits when it and a marked phrase
    /// share a word (case-insensitive). Reported: hits among the top 5, and texts whose first keyword hits.
    /// </summary>
    [Fact]
    public void KeyBertKeywordsAreSubstringsAndFindTheMarkedPhrases()
    {
        var extractor = new KeywordExtractor(Embedder.Value);
        int hits = 0, total = 0, firstHits = 0, texts = 0;
        foreach (JsonElement example in Lines("keywords.jsonl"))
        {
            string text = example.GetProperty("text").GetString()!;
            string[] gold = [.. example.GetProperty("keywords").EnumerateArray().Select(k => k.GetString()!)];
            IReadOnlyList<Keyword> keywords = extractor.Extract(text, k: 5);
            Assert.Equal(5, keywords.Count);
            Assert.Equal(keywords.Count, keywords.Select(k => k.Text.ToLowerInvariant()).Distinct().Count());
            int[] codePoints = [.. text.EnumerateRunes().Select(r => r.Value)];
            foreach (Keyword keyword in keywords)
            {
                Assert.Equal(keyword.Text, string.Concat(codePoints[keyword.Start..keyword.End].Select(char.ConvertFromUtf32)));
            }
            bool Hit(Keyword k) => gold.Any(g => g.Split(' ').Intersect(k.Text.ToLowerInvariant().Split(' ')).Any());
            hits += keywords.Count(Hit);
            total += keywords.Count;
            if (Hit(keywords[0])) firstHits++;
            texts++;
            output.WriteLine($"{string.Join(" | ", keywords.Select(k => k.Text))}");
        }
        output.WriteLine($"keywords sharing a word with a marked phrase: {hits}/{total}; first keyword hits in {firstHits}/{texts} texts");
        Assert.True(firstHits >= 8, $"the first keyword hit a marked phrase in only {firstHits}/{texts} texts");
        Assert.True(hits >= total / 2, $"only {hits}/{total} keywords hit a marked phrase");
    }

    [Fact]
    public void ZeroShotRefusesAHypothesisWithoutTheLabel() =>
        Assert.Contains("must contain {label}", Assert.Throws<ArgumentException>(() => new ZeroShotClassifier(Embedder.Value, "About this.")).Message);
}
