// Decodes ids that arrive one at a time into text pieces, holding back a partial character; the one-shot form is Tokenizer.Decode.
namespace Quill.Tokenizers;

/// <summary>
/// Hugging Face's DecodeStream algorithm over any <see cref="ITokenizer"/>: it decodes a short window of recent ids,
/// and prints only what the window's text gained, once that no longer ends in U+FFFD (an unfinished UTF-8 sequence).
/// The window keeps enough context for decoders whose output depends on neighbours (a leading space dropped at the
/// start, "##" joining). Concatenated pieces equal the one-shot decode of all ids, except where a decoder's clean-up
/// depends on a later token (" ?" → "?"): text already given out stands. Not thread-safe: one per stream.
/// </summary>
public sealed class TokenStreamDecoder
{
    private const char Replacement = '\uFFFD';

    private readonly ITokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private readonly List<int> _ids = [];
    private string _prefix = "";
    private int _prefixIndex;

    public TokenStreamDecoder(ITokenizer tokenizer, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Adds one id; returns the text it completes (possibly empty while a character is unfinished).</summary>
    public string Add(int id)
    {
        _ids.Add(id);
        string text = _tokenizer.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_ids), _skipSpecialTokens);
        if (text.Length <= _prefix.Length || text[^1] == Replacement) return "";
        string added = text.StartsWith(_prefix, StringComparison.Ordinal) ? text[_prefix.Length..] : text[CommonPrefix(text, _prefix)..];
        int newPrefixIndex = _ids.Count - _prefixIndex;
        _ids.RemoveRange(0, _prefixIndex);
        _prefix = _tokenizer.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_ids), _skipSpecialTokens);
        _prefixIndex = newPrefixIndex;
        return added;
    }

    /// <summary>Whatever is still held back (an unfinished character comes out as U+FFFD), and resets the stream.</summary>
    public string Flush()
    {
        string text = _tokenizer.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_ids), _skipSpecialTokens);
        string rest = text.Length > _prefix.Length ? text[CommonPrefix(text, _prefix)..] : "";
        _ids.Clear();
        _prefix = "";
        _prefixIndex = 0;
        return rest;
    }

    private static int CommonPrefix(string a, string b) => a.AsSpan().CommonPrefixLength(b);
}
