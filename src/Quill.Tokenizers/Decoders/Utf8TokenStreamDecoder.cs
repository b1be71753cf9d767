// Incremental UTF-8 to UTF-16 decoding for streamed token bytes, allocation-free; ids to text is TokenStreamDecoder.
using System.Text;

namespace Quill.Tokenizers.Decoders;

/// <summary>
/// Decodes UTF-8 that arrives in pieces (one token's bytes at a time, e.g. <see cref="ITokenizer.TokenBytes"/>), holding
/// back the bytes of a character that is not complete yet, so "é" split over two byte tokens comes out once, whole. Malformed input becomes U+FFFD per
/// maximal subpart, as the WHATWG/Unicode algorithm says and <see cref="Encoding.UTF8"/> does, so streamed text
/// equals the tokenizer's one-shot decode. Not thread-safe: one per stream.
/// </summary>
public sealed class Utf8TokenStreamDecoder
{
    private const char Replacement = '\uFFFD';

    private uint _codePoint;     // bits gathered so far
    private int _needed;         // continuation bytes the current character still needs in total
    private int _seen;           // continuation bytes already consumed
    private byte _lower = 0x80;  // allowed range of the next continuation byte (narrowed after E0, ED, F0, F4)
    private byte _upper = 0xBF;

    /// <summary>True while bytes of an unfinished character are held back.</summary>
    public bool HasPending => _needed != 0;

    /// <summary>The most chars one <see cref="Decode"/> of <paramref name="byteCount"/> bytes can write (one more than the bytes, for a held-back character
    /// completed by them).</summary>
    public static int MaxCharCount(int byteCount) => byteCount + 1;

    /// <summary>Decodes <paramref name="bytes"/> into <paramref name="destination"/> (room for <see cref="MaxCharCount"/>) and returns the chars
    /// written.</summary>
    public int Decode(ReadOnlySpan<byte> bytes, Span<char> destination)
    {
        int written = 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            byte b = bytes[i];
            if (_needed == 0)
            {
                if (b <= 0x7F) destination[written++] = (char)b;
                else if (b is >= 0xC2 and <= 0xDF) Begin(1, b & 0x1Fu);
                else if (b is >= 0xE0 and <= 0xEF)
                {
                    if (b == 0xE0) _lower = 0xA0; // no overlong 3-byte forms
                    if (b == 0xED) _upper = 0x9F; // no surrogates
                    Begin(2, b & 0x0Fu);
                }
                else if (b is >= 0xF0 and <= 0xF4)
                {
                    if (b == 0xF0) _lower = 0x90; // no overlong 4-byte forms
                    if (b == 0xF4) _upper = 0x8F; // nothing past U+10FFFF
                    Begin(3, b & 0x07u);
                }
                else destination[written++] = Replacement;
                continue;
            }

            if (b < _lower || b > _upper)
            {
                // The character broke off: one U+FFFD for what was gathered, then read this byte afresh.
                ResetCharacter();
                destination[written++] = Replacement;
                i--;
                continue;
            }
            _lower = 0x80;
            _upper = 0xBF;
            _codePoint = (_codePoint << 6) | (b & 0x3Fu);
            if (++_seen < _needed) continue;

            written += WriteCodePoint(_codePoint, destination[written..]);
            ResetCharacter();
        }
        return written;
    }

    /// <summary>Ends the stream: an unfinished character becomes one U+FFFD. Returns the chars written (0 or 1).</summary>
    public int Flush(Span<char> destination)
    {
        if (_needed == 0) return 0;
        ResetCharacter();
        destination[0] = Replacement;
        return 1;
    }

    /// <summary>Forgets any held-back bytes.</summary>
    public void Reset() => ResetCharacter();

    private void Begin(int continuationBytes, uint leadBits)
    {
        _needed = continuationBytes;
        _seen = 0;
        _codePoint = leadBits;
    }

    private void ResetCharacter()
    {
        _needed = 0;
        _seen = 0;
        _codePoint = 0;
        _lower = 0x80;
        _upper = 0xBF;
    }

    private static int WriteCodePoint(uint cp, Span<char> destination)
    {
        if (cp < 0x10000)
        {
            destination[0] = (char)cp;
            return 1;
        }
        cp -= 0x10000;
        destination[0] = (char)(0xD800 + (cp >> 10));
        destination[1] = (char)(0xDC00 + (cp & 0x3FF));
        return 2;
    }
}
