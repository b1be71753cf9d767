// A text decoded once into codepoints with their UTF-16 offsets, so splitters can work per codepoint.
using System.Buffers;

namespace Quill.Tokenizers.PreTokenizers;

/// <summary>
/// Codepoints of a UTF-16 span (lone surrogates read as U+FFFD) and where each starts in the span. Rents its arrays;
/// dispose to return them.
/// </summary>
internal readonly struct CodepointText : IDisposable
{
    private readonly int[] _codepoints;
    private readonly int[] _charStarts; // n + 1 entries: the last is the span length

    public CodepointText(ReadOnlySpan<char> text)
    {
        _codepoints = ArrayPool<int>.Shared.Rent(Math.Max(1, text.Length));
        _charStarts = ArrayPool<int>.Shared.Rent(text.Length + 1);
        int n = 0;
        for (int i = 0; i < text.Length;)
        {
            _charStarts[n] = i;
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                _codepoints[n++] = char.ConvertToUtf32(c, text[i + 1]);
                i += 2;
            }
            else
            {
                _codepoints[n++] = char.IsSurrogate(c) ? 0xFFFD : c;
                i++;
            }
        }
        _charStarts[n] = text.Length;
        Count = n;
    }

    public int Count { get; }

    public ReadOnlySpan<int> Codepoints => _codepoints.AsSpan(0, Count);

    /// <summary>UTF-16 offset of codepoint <paramref name="index"/> (index == Count gives the text length).</summary>
    public int CharStart(int index) => _charStarts[index];

    public void Dispose()
    {
        ArrayPool<int>.Shared.Return(_codepoints);
        ArrayPool<int>.Shared.Return(_charStarts);
    }
}
