// Finds added tokens in raw input, leftmost-longest, with lstrip/rstrip/single_word.
namespace Quill.Tokenizers.Pipeline;

/// <summary>
/// Hugging Face's AddedVocabulary split: scanning left to right, at each position the longest added token that matches
/// wins; special tokens take part only when parsing special tokens. A match with lstrip/rstrip also covers the
/// whitespace beside it; a single_word token must not touch word characters on either side.
/// </summary>
internal sealed class AddedTokenMatcher
{
    /// <summary>A token found at [TokenStart, TokenEnd); [Start, End) is what it consumes, stripped whitespace included.</summary>
    internal readonly record struct Match(int Id, int Start, int End, int TokenStart, int TokenEnd);

    private readonly Dictionary<char, AddedToken[]> _byFirstChar;
    private readonly System.Buffers.SearchValues<char> _firstChars;
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public AddedTokenMatcher(IReadOnlyList<AddedToken> tokens)
    {
        _byFirstChar = tokens
            .Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
        _firstChars = System.Buffers.SearchValues.Create([.. _byFirstChar.Keys]);
        foreach (AddedToken token in tokens) _ids.TryAdd(token.Content, token.Id);
        _lookup = _ids.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Find(ReadOnlySpan<char> content) => _lookup.TryGetValue(content, out int id) ? id : -1;

    public void FindAll(ReadOnlySpan<char> text, bool parseSpecial, List<Match> matches)
    {
        if (_byFirstChar.Count == 0) return;
        int consumed = 0;
        for (int i = 0; i < text.Length; i++)
        {
            int next = text[i..].IndexOfAny(_firstChars);
            if (next < 0) break;
            i += next;
            AddedToken[] candidates = _byFirstChar[text[i]];
            foreach (AddedToken token in candidates)
            {
                if (token.Special && !parseSpecial) continue;
                if (!text[i..].StartsWith(token.Content, StringComparison.Ordinal)) continue;
                int end = i + token.Content.Length;
                if (token.SingleWord && (IsWordChar(text, i - 1) || IsWordChar(text, end))) continue;
                int start = i;
                if (token.LStrip) while (start > consumed && char.IsWhiteSpace(text[start - 1])) start--;
                int stop = end;
                if (token.RStrip) while (stop < text.Length && char.IsWhiteSpace(text[stop])) stop++;
                matches.Add(new Match(token.Id, start, stop, i, end));
                consumed = stop;
                i = stop - 1;
                break;
            }
        }
    }

    private static bool IsWordChar(ReadOnlySpan<char> text, int index) =>
        (uint)index < (uint)text.Length && (char.IsLetterOrDigit(text[index]) || text[index] == '_');
}
