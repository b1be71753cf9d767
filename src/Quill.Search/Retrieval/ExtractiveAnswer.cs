// An answer with no generative model: the retrieved sentences closest in meaning to the question, each with its citation.
using System.Text;
using System.Text.RegularExpressions;
using Quill.Embeddings;
using Quill.Search.Vectors;

namespace Quill.Search.Retrieval;

/// <summary>One sentence of a source picked for an extractive answer: its text, its source number (1-based) and cosine.</summary>
public sealed record ExtractedSentence(string Text, int Source, float Score);

/// <summary>
/// Splits the retrieved chunks into sentences (headings, code fences and fragments under <see cref="MinWords"/> words
/// left out, list markers stripped, duplicates from overlapping chunks dropped), embeds them with the question using
/// the index's embedder and keeps the <see cref="MaxSentences"/> most similar, best first. Every sentence is quoted
/// verbatim from a source, so the answer can only be as right as retrieval.
/// </summary>
public static partial class ExtractiveAnswer
{
    /// <summary>How many sentences an answer quotes at most.</summary>
    public const int MaxSentences = 3;

    /// <summary>Sentences shorter than this many words (headings, labels) are not quoted unless nothing else is left.</summary>
    public const int MinWords = 4;

    /// <summary>The sentences of <paramref name="sources"/> (source n is <c>sources[n - 1]</c>) that best answer <paramref name="question"/>.</summary>
    public static IReadOnlyList<ExtractedSentence> Select(string question, IReadOnlyList<SearchHit> sources, ITextEmbedder embedder,
        int maxSentences = MaxSentences)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSentences, 1);
        var candidates = new List<(string Text, int Source)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < sources.Count; i++)
        {
            foreach (string sentence in Sentences(sources[i].Text))
                if (seen.Add(sentence)) candidates.Add((sentence, i + 1));
        }
        var full = candidates.Where(c => WordCount(c.Text) >= MinWords).ToList();
        if (full.Count > 0) candidates = full;
        if (candidates.Count == 0) return [];
        float[][] vectors = embedder.Embed([question, .. candidates.Select(c => c.Text)]).Vectors;
        foreach (float[] v in vectors) VectorNorm.Normalize(v);
        return candidates
            .Select((c, i) => new ExtractedSentence(c.Text, c.Source, VectorDot.Dot(vectors[0], vectors[i + 1])))
            .OrderByDescending(s => s.Score).ThenBy(s => s.Source)
            .Take(maxSentences)
            .ToList();
    }

    /// <summary>The sentences joined into one paragraph, each followed by its citation: "Text. [2] Other text. [1]".</summary>
    public static string Format(IReadOnlyList<ExtractedSentence> sentences)
    {
        var answer = new StringBuilder();
        foreach (ExtractedSentence s in sentences)
        {
            if (answer.Length > 0) answer.Append(' ');
            answer.Append(s.Text).Append(' ').Append(GroundedPrompt.Cite(s.Source));
        }
        return answer.ToString();
    }

    /// <summary>The sentences of a chunk in order: paragraphs joined into lines, then split after . ! or ? before a space.</summary>
    internal static IEnumerable<string> Sentences(string text)
    {
        var paragraph = new StringBuilder();
        bool inFence = false;
        foreach (string raw in text.ReplaceLineEndings("\n").Split('\n'))
        {
            string line = raw.Trim();
            if (line.StartsWith("```", StringComparison.Ordinal)) inFence = !inFence;
            bool skip = inFence || line.StartsWith("```", StringComparison.Ordinal) || line.StartsWith('#') || line.StartsWith('|');
            if (line.Length == 0 || skip || ListMarker().IsMatch(line))
            {
                foreach (string s in Split(paragraph)) yield return s;
                paragraph.Clear();
                if (skip || line.Length == 0) continue;
            }
            if (paragraph.Length > 0) paragraph.Append(' ');
            paragraph.Append(ListMarker().Replace(line, ""));
        }
        foreach (string s in Split(paragraph)) yield return s;
    }

    private static IEnumerable<string> Split(StringBuilder paragraph) =>
        SentenceEnd().Split(paragraph.ToString()).Select(s => s.Trim()).Where(s => s.Length > 0);

    private static int WordCount(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    [GeneratedRegex(@"(?<=[.!?])\s+")]
    private static partial Regex SentenceEnd();

    [GeneratedRegex(@"^([-*+]|\d+[.)])\s+")]
    private static partial Regex ListMarker();
}
