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
    private readonly Utf8TokenStreamDecoder decoder = new();
    private readonly StopSequenceMatcher matcher = new(stops);
    private readonly StringBuilder released = new();
    private char[] chars = new char[64]; // decode scratch, grows only for unusually long tokens

    /// <summary>Chars released so far.</summary>
    public int Length => released.Length;

    /// <summary>The stop string that ended the text, or null.</summary>
    public string? MatchedStop => matcher.MatchedStop;

    /// <summary>Feeds one token's bytes; true when a stop string has been found.</summary>
    public bool AppendToken(ReadOnlySpan<byte> bytes)
    {
        int needed = Utf8TokenStreamDecoder.MaxCharCount(bytes.Length);
        if (needed > chars.Length) chars = new char[Math.Max(needed, 2 * chars.Length)];
        int n = decoder.Decode(bytes, chars);
        return matcher.Append(chars.AsSpan(0, n), released);
    }

    /// <summary>
    /// Generation is over: a dangling partial character becomes U+FFFD and the held-back tail is released, unless a
    /// stop string already ended the text. True when that last flush itself completed a stop string.
    /// </summary>
    public bool End()
    {
        if (matcher.MatchedStop is not null) return false;
        int n = decoder.Flush(chars);
        bool stopped = matcher.Append(chars.AsSpan(0, n), released);
        matcher.Flush(released);
        return stopped;
    }

    /// <summary>The released text from <paramref name="start"/> on.</summary>
    public string Released(int start) => released.ToString(start, released.Length - start);

    /// <inheritdoc/>
    public override string ToString() => released.ToString();
}
