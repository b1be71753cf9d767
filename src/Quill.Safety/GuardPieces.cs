// The parts of a text the guard's classifier scores one by one: word windows that fit the embedder, and the sentences of a longer text.
namespace Quill.Safety;

/// <summary>
/// A text is scored as the highest score of its pieces, so that one injected sentence inside a long benign document (an
/// email, a review, a web page the user asks about) is read on its own instead of being averaged away by the embedder's
/// mean pooling. The pieces are the text's <see cref="Windows"/> and, when it has at least two, its <see cref="Sentences"/>.
/// </summary>
public static class GuardPieces
{
    /// <summary>Words per window (under the embedder's 256 tokens in the four languages); consecutive windows overlap by a quarter.</summary>
    public const int WindowWords = 96;

    /// <summary>A sentence shorter than this is joined to the next ("Thanks, Marta" alone says nothing).</summary>
    public const int MinSentenceWords = 6;

    /// <summary>The windows, then the sentences when there are two or more; none for blank text.</summary>
    public static IReadOnlyList<string> Of(string text) => Of(text, out _);

    /// <summary><see cref="Of(string)"/>, and how many of its pieces (the first ones) are windows.</summary>
    public static IReadOnlyList<string> Of(string text, out int windows)
    {
        List<string> pieces = [.. Windows(text)];
        windows = pieces.Count;
        List<string> sentences = [.. Sentences(text)];
        if (sentences.Count >= 2) pieces.AddRange(sentences);
        return pieces;
    }

    /// <summary>Overlapping windows of <see cref="WindowWords"/> words; one for a short text.</summary>
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

    /// <summary>
    /// Sentences: a break after '.', '!', '?' or '…' followed by a space, or at a line break; a sentence of fewer than
    /// <see cref="MinSentenceWords"/> words is joined to the next (the last to the one before), and one longer than
    /// <see cref="WindowWords"/> is cut.
    /// </summary>
    public static IReadOnlyList<string> Sentences(string text)
    {
        var sentences = new List<List<string>>();
        var current = new List<string>();
        foreach (string line in text.Split('\n'))
        {
            string[] words = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            for (int i = 0; i < words.Length; i++)
            {
                current.Add(words[i]);
                bool end = i == words.Length - 1 || EndsSentence(words[i]);
                if ((end && current.Count >= MinSentenceWords) || current.Count == WindowWords)
                {
                    sentences.Add(current);
                    current = [];
                }
            }
        }
        if (current.Count > 0)
        {
            if (sentences.Count > 0 && sentences[^1].Count + current.Count <= WindowWords) sentences[^1].AddRange(current);
            else sentences.Add(current);
        }
        return [.. sentences.Select(s => string.Join(' ', s))];
    }

    private static bool EndsSentence(string word)
    {
        string w = word.TrimEnd('"', '\'', ')', ']', '»', '”', '“', '*');
        return w.Length > 0 && w[^1] is '.' or '!' or '?' or '…';
    }
}
