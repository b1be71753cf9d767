// Turns what a user typed into a PostgreSQL tsquery that cannot be a syntax error; the keyword search of the PostgreSQL store.
using System.Text;

namespace Quill.Search.Retrieval;

/// <summary>
/// As <see cref="Fts5Query"/> for PostgreSQL's <c>to_tsquery</c>: each whitespace-separated piece becomes a phrase of
/// its letter and digit runs (<c>XR-7741</c> → <c>(XR &lt;-&gt; 7741)</c>, the parts PostgreSQL's parser also indexes
/// for a hyphenated word), and the phrases are joined by <c>|</c>. Only letters, digits and the operators written here
/// reach the parser, so quotes, <c>&amp;</c>, <c>!</c>, <c>:</c>, <c>*</c> and parentheses in the text are never syntax.
/// </summary>
public static class TsQuery
{
    /// <summary>The tsquery text for <paramref name="text"/>, or null when it holds no letters or digits.</summary>
    public static string? FromText(string text)
    {
        IReadOnlyList<string[]> phrases = Fts5Query.Phrases(text);
        if (phrases.Count == 0) return null;
        var query = new StringBuilder();
        foreach (string[] words in phrases)
        {
            if (query.Length > 0) query.Append(" | ");
            query.Append('(').AppendJoin(" <-> ", words).Append(')');
        }
        return query.ToString();
    }
}
