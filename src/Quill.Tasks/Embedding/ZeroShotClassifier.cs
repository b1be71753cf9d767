// Zero-shot classification with a sentence embedder: the text against one hypothesis per label.
using Quill.Embeddings;

namespace Quill.Tasks.Embedding;

/// <summary>
/// Classifies without a generative model: the text and one hypothesis per label ("This text is about {label}." by
/// default) are embedded, and the labels' scores are softmax(cosine / <see cref="Temperature"/>), so they sum to 1.
/// With all-MiniLM-L6-v2 cosines of a text to hypotheses lie roughly within 0.0–0.6; a temperature of 0.05 turns a
/// cosine lead of 0.1 into a probability ratio of e² ≈ 7.4. Hypothesis vectors are cached per label.
/// </summary>
public sealed class ZeroShotClassifier
{
    private readonly ITextEmbedder _embedder;
    private readonly Dictionary<string, float[]> _hypotheses = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public ZeroShotClassifier(ITextEmbedder embedder, string hypothesis = "This text is about {label}.")
    {
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentNullException.ThrowIfNull(hypothesis);
        if (!hypothesis.Contains("{label}", StringComparison.Ordinal))
        {
            throw new ArgumentException($"zero-shot classification: the hypothesis must contain {{label}}, found \"{hypothesis}\"");
        }
        _embedder = embedder;
        Hypothesis = hypothesis;
    }

    /// <summary>The hypothesis template; {label} is replaced by each label.</summary>
    public string Hypothesis { get; }

    /// <summary>Divides the cosines before the softmax.</summary>
    public double Temperature { get; init; } = 0.05;

    /// <summary>Every label with its probability, sorted, highest first.</summary>
    public IReadOnlyList<LabelScore> Classify(string text, IReadOnlyList<string> labels, CancellationToken ct = default)
    {
        TaskInput.RequireText(text, "classify");
        TaskInput.RequireNames(labels, "classify", "labels");
        float[] vector = _embedder.Embed([text], ct).Vectors[0];
        float[][] hypotheses = HypothesisVectors(labels, ct);
        var cosines = new double[labels.Count];
        for (int i = 0; i < cosines.Length; i++) cosines[i] = TextPooling.Cosine(vector, hypotheses[i]);
        return LabelScores.FromLogprobs(labels, cosines, Temperature);
    }

    private float[][] HypothesisVectors(IReadOnlyList<string> labels, CancellationToken ct)
    {
        lock (_lock)
        {
            string[] missing = [.. labels.Where(l => !_hypotheses.ContainsKey(l)).Distinct()];
            if (missing.Length > 0)
            {
                float[][] vectors = _embedder.Embed([.. missing.Select(l => Hypothesis.Replace("{label}", l, StringComparison.Ordinal))], ct).Vectors;
                for (int i = 0; i < missing.Length; i++) _hypotheses[missing[i]] = vectors[i];
            }
            return [.. labels.Select(l => _hypotheses[l])];
        }
    }
}
