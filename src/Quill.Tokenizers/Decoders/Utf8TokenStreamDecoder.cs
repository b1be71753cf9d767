// Turns token bytes arriving one token at a time into text, holding back an unfinished UTF-8 sequence; not a detokenizer.
using System.Text;

namespace Quill.Tokenizers.Decoders;

/// <summary>
/// For streaming: <see cref="Append"/> each token's bytes (e.g. <see cref="ITokenizer.TokenBytes"/>) and get back only
/// whole characters; a character split across tokens comes out once its last byte arrives. Invalid sequences
/// become U+FFFD. Not thread-safe: one per stream.
/// </summary>
public sealed class Utf8TokenStreamDecoder
{
    private readonly Decoder _decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private char[] _chars = new char[64];

    /// <summary>Decodes the next token's bytes; returns the text completed by them (possibly empty).</summary>
    public string Append(ReadOnlySpan<byte> tokenBytes) => Decode(tokenBytes, flush: false);

    /// <summary>Ends the stream: a held-back partial sequence comes out as U+FFFD.</summary>
    public string Flush() => Decode([], flush: true);

    /// <summary>Forgets any held-back bytes.</summary>
    public void Reset() => _decoder.Reset();

    private string Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        int needed = _decoder.GetCharCount(bytes, flush);
        if (needed > _chars.Length) _chars = new char[Math.Max(needed, _chars.Length * 2)];
        int written = _decoder.GetChars(bytes, _chars, flush);
        return written == 0 ? string.Empty : new string(_chars, 0, written);
    }
}
