// Turns what a user typed into an FTS5 match expression that cannot be a syntax error; not a query language.
using System.Text;
using System.Text.RegularExpressions;

namespace Quill.Search.Retrieval;

/// <summary>
/// Each whitespace-separated piece of the text becomes one quoted FTS5 phrase of its letter and digit runs
/// (<c>XR-7741</c> → <c>"XR 7741"</c>, which matches the words xr then 7741 as unicode61 splits them), and the phrases are
/// joined by OR so that BM25 ranks chunks by how many rare words they share. Quotes, <c>*</c>, <c>:</c>, <c>-</c>,
/// <c>^</c>, parentheses and the words AND, OR, NOT and NEAR are never passed through as operators.
/// </summary>
public static partial class Fts5Query
{
    /// <summary>At most this many phrases are kept (a pasted page would otherwise become a huge OR).</summary>
    public const int MaxPhrases = 64;

    /// <summary>The match expression for <paramref name="text"/>, or null when it holds no letters or digits.</summary>
    public static string? FromText(string text)
    {
        IReadOnlyList<string[]> phrases = Phrases(text);
        if (phrases.Count == 0) return null;
        var match = new StringBuilder();
        foreach (string[] words in phrases)
        {
            if (match.Length > 0) match.Append(" OR ");
            match.Append('"').AppendJoin(' ', words).Append('"');
        }
        return match.ToString();
    }

    /// <summary>
    /// The letter and digit runs of each whitespace-separated piece of <paramref name="text"/>, pieces without any left
    /// out, repeats (ignoring case) dropped, <see cref="MaxPhrases"/> at most; <see cref="TsQuery"/> shares them.
    /// </summary>
    public static IReadOnlyList<string[]> Phrases(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var phrases = new List<string[]>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string piece in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            string[] words = Word().Matches(piece).Select(m => m.Value).ToArray();
            if (words.Length == 0 || !seen.Add(string.Join(' ', words))) continue;
            phrases.Add(words);
            if (phrases.Count == MaxPhrases) break;
        }
        return phrases;
    }

    /// <summary>The letter and digit runs of <paramref name="text"/> joined by spaces: the words unicode61 would index.</summary>
    public static string Words(string text) => string.Join(' ', Word().Matches(text).Select(m => m.Value));

    // Letters (with their combining marks) and digits: what unicode61 keeps as token characters.
    [GeneratedRegex(@"[\p{L}\p{M}\p{N}]+")]
    private static partial Regex Word();
}
