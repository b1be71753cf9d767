// KeyBERT-style keywords with a sentence embedder: candidate n-grams ranked by similarity to the text, diversified by MMR.
using Quill.Embeddings;
using Quill.Tasks.Text;

namespace Quill.Tasks.Embedding;

/// <summary>
/// Keywords without a generative model, as KeyBERT finds them: the candidates are the text's n-grams of 1 to
/// <see cref="MaxWords"/> words (consecutive words with only spaces between them, none an English stop word, as KeyBERT's
/// vectorizer with stop_words="english" forms them), each taken from the text as written (so each keyword is a substring of it; repeats, compared without
/// case, are kept once at their first place). The text and every candidate are embedded; maximal marginal relevance
/// then picks them one by one: the first is the closest to the text, each next maximizes
/// (1 − <see cref="Diversity"/>)·cos(candidate, text) − <see cref="Diversity"/>·max cos(candidate, picked). The score
/// reported is cos(keyword, text).
/// </summary>
public sealed class KeywordExtractor
{
    private readonly ITextEmbedder _embedder;

    public KeywordExtractor(ITextEmbedder embedder)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        _embedder = embedder;
    }

    /// <summary>Longest candidate, in words.</summary>
    public int MaxWords { get; init; } = 3;

    /// <summary>0 ranks by similarity alone; 1 by novelty alone. KeyBERT's default for MMR is 0.5.</summary>
    public double Diversity { get; init; } = 0.5;

    /// <summary>Most candidates embedded (the first ones in the text).</summary>
    public int MaxCandidates { get; init; } = 2000;

    /// <summary>Up to <paramref name="k"/> keywords, in the order MMR picks them.</summary>
    public IReadOnlyList<Keyword> Extract(string text, int k = 5, CancellationToken ct = default)
    {
        TaskInput.RequireText(text, "keywords");
        TaskInput.RequireCount(k, "keywords");
        var offsets = new TextOffsets(text);
        List<(int Start, int End)> candidates = Candidates(offsets);
        if (candidates.Count == 0) return [];
        var texts = new List<string>(candidates.Count + 1) { text };
        texts.AddRange(candidates.Select(c => offsets.Slice(c.Start, c.End)));
        float[][] vectors = _embedder.Embed(texts, ct).Vectors;
        var toText = new double[candidates.Count];
        for (int i = 0; i < toText.Length; i++) toText[i] = TextPooling.Cosine(vectors[i + 1], vectors[0]);
        var picked = new List<int>();
        var closestPicked = new double[candidates.Count];
        Array.Fill(closestPicked, double.NegativeInfinity);
        while (picked.Count < Math.Min(k, candidates.Count))
        {
            int best = -1;
            double bestValue = double.NegativeInfinity;
            for (int i = 0; i < candidates.Count; i++)
            {
                if (picked.Contains(i)) continue;
                double value = picked.Count == 0 ? toText[i] : (1 - Diversity) * toText[i] - Diversity * closestPicked[i];
                if (value > bestValue)
                {
                    bestValue = value;
                    best = i;
                }
            }
            picked.Add(best);
            for (int i = 0; i < candidates.Count; i++) closestPicked[i] = Math.Max(closestPicked[i], TextPooling.Cosine(vectors[i + 1], vectors[best + 1]));
        }
        return [.. picked.Select(i => new Keyword(texts[i + 1], toText[i], offsets.CodePointOffset(candidates[i].Start),
            offsets.CodePointOffset(candidates[i].End)))];
    }

    private List<(int Start, int End)> Candidates(TextOffsets offsets)
    {
        int[] starts = offsets.WordStarts, ends = offsets.WordEnds;
        byte[] bytes = offsets.Bytes;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var result = new List<(int, int)>();
        for (int first = 0; first < starts.Length && result.Count < MaxCandidates; first++)
        {
            if (IsStopWord(offsets, first)) continue;
            for (int last = first; last < starts.Length && last - first < MaxWords; last++)
            {
                if (last > first && !OnlySpaces(bytes, ends[last - 1], starts[last])) break;
                if (IsStopWord(offsets, last)) break;
                string candidate = offsets.Slice(starts[first], ends[last]);
                if (seen.Add(candidate)) result.Add((starts[first], ends[last]));
            }
        }
        return result;
    }

    private static bool OnlySpaces(byte[] bytes, int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            if (bytes[i] is not ((byte)' ' or (byte)'\t')) return false;
        }
        return true;
    }

    private static bool IsStopWord(TextOffsets offsets, int word) =>
        StopWords.Contains(offsets.Slice(offsets.WordStarts[word], offsets.WordEnds[word]));

    private static readonly HashSet<string> StopWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be",
        "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does",
        "doing", "down", "during", "each", "even", "every", "few", "for", "from", "further", "had", "has", "have", "having",
        "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "however", "i", "if", "in", "into", "is", "it",
        "its", "itself", "just", "many", "may", "me", "might", "more", "most", "much", "must", "my", "myself", "no", "nor",
        "not", "now", "of", "off", "on", "once", "one", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own",
        "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then",
        "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "upon", "us", "very", "was",
        "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "within", "without",
        "would", "yet", "you", "your", "yours", "yourself", "yourselves", "it's", "don't", "can't", "won't", "isn't", "also",
    };
}
