// The text side of the generation loop: token bytes → UTF-8 decoder → stop matcher → released text.
using System.Text;
using Quill.Tokenizers.Decoders;

namespace Quill.Generation;

/// <summary>
/// Accumulates the text a generation has released so far. Bytes go through a <see cref="Utf8TokenStreamDecoder"/>
/// (partial characters wait) and a <see cref="StopSequenceMatcher"/> (possible stop prefixes wait).
/// </summary>
internal sealed class StreamedText(IReadOnlyList<string>? stops)
{
    private readonly Utf8TokenStreamDecoder _decoder = new();
    private readonly StopSequenceMatcher _matcher = new(stops);
    private readonly StringBuilder _released = new();
    private char[] _chars = new char[64]; // decode scratch, grows only for unusually long tokens

    /// <summary>Chars released so far.</summary>
    public int Length => _released.Length;

    /// <summary>The stop string that ended the text, or null.</summary>
    public string? MatchedStop => _matcher.MatchedStop;

    /// <summary>Feeds one token's bytes; true when a stop string has been found.</summary>
    public bool AppendToken(ReadOnlySpan<byte> bytes)
    {
        int needed = Utf8TokenStreamDecoder.MaxCharCount(bytes.Length);
        if (needed > _chars.Length) _chars = new char[Math.Max(needed, 2 * _chars.Length)];
        int n = _decoder.Decode(bytes, _chars);
        return _matcher.Append(_chars.AsSpan(0, n), _released);
    }

    /// <summary>
    /// Generation is over: a dangling partial character becomes U+FFFD and the held-back tail is released, unless a
    /// stop string already ended the text. True when that last flush itself completed a stop string.
    /// </summary>
    public bool End()
    {
        if (_matcher.MatchedStop is not null) return false;
        int n = _decoder.Flush(_chars);
        bool stopped = _matcher.Append(_chars.AsSpan(0, n), _released);
        _matcher.Flush(_released);
        return stopped;
    }

    /// <summary>The released text from <paramref name="start"/> on.</summary>
    public string Released(int start) => _released.ToString(start, _released.Length - start);

    /// <inheritdoc/>
    public override string ToString() => _released.ToString();
}
