// Scores texts for prompt injection: the phrase matcher and the classifier over embedder vectors, in windows that fit the embedder.
using Quill.Embeddings;

namespace Quill.Safety;

/// <summary>What the guard decided about one text: the combined score, the classifier's part, and the phrases that matched.</summary>
public sealed record GuardResult(bool Injection, double Score, double ClassifierScore, IReadOnlyList<PhraseHit> Hits)
{
    /// <summary>"injection" or "benign".</summary>
    public string Label => Injection ? "injection" : "benign";
}

/// <summary>
/// A text longer than the embedder's window is cut into overlapping windows of <see cref="WindowWords"/> words (which
/// stay under the embedder's 256 tokens for the four languages) and its classifier score is the highest window's; the
/// matcher reads the whole text. Thread-safe when the embedder is.
/// </summary>
public sealed class InjectionGuard(ITextEmbedder embedder, GuardModel model, PhraseMatcher? matcher = null) : IDisposable
{
    /// <summary>Words per window; consecutive windows overlap by a quarter.</summary>
    public const int WindowWords = 96;

    private readonly LogisticRegression _classifier = CheckDimensions(embedder, model).Classifier();
    private readonly PhraseMatcher _matcher = matcher ?? PhraseMatcher.Default;

    /// <summary>The model in use.</summary>
    public GuardModel Model { get; } = model;

    /// <summary>Loads the built-in embedder and <paramref name="modelPath"/> (null: the shipped model).</summary>
    public static InjectionGuard Load(string? modelPath = null, string? embedderCacheFolder = null, int threads = 0) =>
        new(DefaultEmbedder.Load(embedderCacheFolder, threads), modelPath is null ? GuardModel.Default() : GuardModel.Load(modelPath));

    /// <summary>Scores each text, with <paramref name="threshold"/> overriding the model's.</summary>
    public IReadOnlyList<GuardResult> Check(IReadOnlyList<string> texts, double? threshold = null, CancellationToken ct = default)
    {
        var windows = new List<string>();
        var owner = new List<int>();
        for (int t = 0; t < texts.Count; t++)
        {
            foreach (string window in Windows(texts[t]))
            {
                windows.Add(window);
                owner.Add(t);
            }
        }
        var classifier = new double[texts.Count];
        if (windows.Count > 0)
        {
            float[][] vectors = embedder.Embed(windows, ct).Vectors;
            for (int i = 0; i < vectors.Length; i++) classifier[owner[i]] = Math.Max(classifier[owner[i]], _classifier.Probability(vectors[i]));
        }
        var results = new GuardResult[texts.Count];
        for (int t = 0; t < texts.Count; t++)
        {
            IReadOnlyList<PhraseHit> hits = _matcher.Match(texts[t]);
            double score = Combine(classifier[t], hits.Count > 0, Model.MatcherWeight);
            results[t] = new GuardResult(score >= (threshold ?? Model.Threshold), score, classifier[t], hits);
        }
        return results;
    }

    /// <summary>Scores one text.</summary>
    public GuardResult Check(string text, double? threshold = null) => Check([text], threshold)[0];

    /// <summary>The noisy-OR of the classifier's probability and the matcher's.</summary>
    public static double Combine(double classifier, bool hit, double matcherWeight) => 1 - (1 - classifier) * (1 - (hit ? matcherWeight : 0));

    /// <summary>The windows of <paramref name="text"/> the classifier reads (none for blank text).</summary>
    public static IEnumerable<string> Windows(string text)
    {
        string[] words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0) yield break;
        int stride = WindowWords * 3 / 4;
        for (int start = 0; ; start += stride)
        {
            int end = Math.Min(words.Length, start + WindowWords);
            yield return string.Join(' ', words, start, end - start);
            if (end == words.Length) yield break;
        }
    }

    private static GuardModel CheckDimensions(ITextEmbedder embedder, GuardModel model)
    {
        if (model.Weights.Length != embedder.Dimensions)
        {
            throw new InvalidDataException($"the guard model reads {model.Weights.Length}-dimensional vectors of '{model.Embedder}', " +
                $"but the embedder '{embedder.ModelName}' gives {embedder.Dimensions}");
        }
        return model;
    }

    /// <summary>Disposes the embedder.</summary>
    public void Dispose() => embedder.Dispose();
}
