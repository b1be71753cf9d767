// An encoding's special tokens: text <-> id, and finding them in text.
using System.Buffers;
using System.Text;

namespace Quill.Tokenizers.Tiktoken;

/// <summary>
/// Special tokens such as <c>&lt;|endoftext|&gt;</c>. <see cref="FindNext"/> finds the leftmost occurrence of any of
/// them (the longest at the same place) by jumping between their first characters, allocation-free.
/// </summary>
internal sealed class TiktokenSpecialTokens
{
    private readonly string[] _texts; // longest first
    private readonly int[] _ids;
    private readonly Dictionary<string, int> _idsByText = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _idsBySpan;
    private readonly Dictionary<int, (string Text, byte[] Bytes)> _byId = [];
    private readonly SearchValues<char> _firstChars;

    public TiktokenSpecialTokens(IEnumerable<KeyValuePair<string, int>> tokens)
    {
        var ordered = tokens.Where(t => t.Key.Length > 0).OrderByDescending(t => t.Key.Length).ToArray();
        _texts = [.. ordered.Select(t => t.Key)];
        _ids = [.. ordered.Select(t => t.Value)];
        foreach (var (text, id) in ordered)
        {
            _idsByText[text] = id;
            _byId[id] = (text, Encoding.UTF8.GetBytes(text));
        }
        _idsBySpan = _idsByText.GetAlternateLookup<ReadOnlySpan<char>>();
        _firstChars = SearchValues.Create([.. _texts.Select(t => t[0]).Distinct()]);
        MaxId = _ids.Length == 0 ? -1 : _ids.Max();
    }

    public int Count => _ids.Length;

    public int MaxId { get; }

    public IEnumerable<KeyValuePair<string, int>> All => _idsByText;

    public bool IsSpecial(int id) => _byId.ContainsKey(id);

    public bool TryGetText(int id, out string text, out byte[] bytes)
    {
        bool found = _byId.TryGetValue(id, out var entry);
        (text, bytes) = entry;
        return found;
    }

    public int IdOf(ReadOnlySpan<char> text) => _idsBySpan.TryGetValue(text, out int id) ? id : -1;

    /// <summary>The index of the leftmost special token in <paramref name="text"/> at or after <paramref name="from"/>, or -1.</summary>
    public int FindNext(ReadOnlySpan<char> text, int from, out int id, out int length)
    {
        while (from < text.Length)
        {
            int at = text[from..].IndexOfAny(_firstChars);
            if (at < 0) break;
            at += from;
            ReadOnlySpan<char> rest = text[at..];
            for (int i = 0; i < _texts.Length; i++)
            {
                if (rest.StartsWith(_texts[i], StringComparison.Ordinal))
                {
                    id = _ids[i];
                    length = _texts[i].Length;
                    return at;
                }
            }
            from = at + 1;
        }
        id = -1;
        length = 0;
        return -1;
    }
}
