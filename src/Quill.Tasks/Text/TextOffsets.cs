// A text's UTF-8 bytes with its word boundaries and the byte → code point map that offsets are reported in.
using System.Globalization;
using System.Text;

namespace Quill.Tasks.Text;

/// <summary>
/// The UTF-8 bytes of a text, where its words start and end (in bytes), and code point offsets for any byte boundary,
/// which is how Python and Hugging Face count <c>start</c> and <c>end</c>. A word is a run of letters, marks, digits
/// and connector punctuation, with apostrophes and hyphens inside it ("don't", "well-known") kept.
/// </summary>
internal sealed class TextOffsets
{
    private readonly int[] _codePointAt; // (B+1) code points before each byte offset (at character starts)

    public TextOffsets(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Text = text;
        Bytes = Encoding.UTF8.GetBytes(text);
        _codePointAt = new int[Bytes.Length + 1];
        var starts = new List<int>();
        var ends = new List<int>();
        var charStarts = new List<int>();
        int b = 0, cp = 0;
        bool inWord = false;
        for (int i = 0; i < text.Length;)
        {
            var rune = Rune.GetRuneAt(text, i);
            bool word = IsWordRune(rune) || (inWord && IsJoiner(rune) && i + rune.Utf16SequenceLength < text.Length
                && IsWordRune(Rune.GetRuneAt(text, i + rune.Utf16SequenceLength)));
            if (word && !inWord) starts.Add(b);
            if (!word && inWord) ends.Add(b);
            inWord = word;
            charStarts.Add(b);
            int length = rune.Utf8SequenceLength;
            for (int k = 0; k < length; k++) _codePointAt[b + k] = cp;
            b += length;
            cp++;
            i += rune.Utf16SequenceLength;
        }
        if (inWord) ends.Add(b);
        _codePointAt[b] = cp;
        WordStarts = [.. starts];
        WordEnds = [.. ends];
        IsWordEnd = new bool[Bytes.Length + 1];
        foreach (int end in WordEnds) IsWordEnd[end] = true;
    }

    public string Text { get; }

    /// <summary>(B) the text as UTF-8.</summary>
    public byte[] Bytes { get; }

    /// <summary>Byte offsets where words start, ascending.</summary>
    public int[] WordStarts { get; }

    /// <summary>Byte offsets just past each word's end, ascending.</summary>
    public int[] WordEnds { get; }

    /// <summary>(B+1) whether a word ends at each byte offset.</summary>
    public bool[] IsWordEnd { get; }


    /// <summary>The code point offset of byte offset <paramref name="byteOffset"/> (a character start or the end).</summary>
    public int CodePointOffset(int byteOffset) => _codePointAt[byteOffset];

    /// <summary>The text between two byte offsets.</summary>
    public string Slice(int startByte, int endByte) => Encoding.UTF8.GetString(Bytes, startByte, endByte - startByte);

    /// <summary>
    /// The words and punctuation marks of the text, as part-of-speech tagging sees them: each word, and each other
    /// non-space character on its own; byte ranges.
    /// </summary>
    public List<(int Start, int End)> Tokens()
    {
        var tokens = new List<(int, int)>();
        int w = 0, b = 0, skipUntil = 0;
        foreach (Rune rune in Text.EnumerateRunes())
        {
            int length = rune.Utf8SequenceLength;
            if (b >= skipUntil)
            {
                if (w < WordStarts.Length && b == WordStarts[w])
                {
                    tokens.Add((WordStarts[w], WordEnds[w]));
                    skipUntil = WordEnds[w++];
                }
                else if (!Rune.IsWhiteSpace(rune))
                {
                    tokens.Add((b, b + length));
                }
            }
            b += length;
        }
        return tokens;
    }

    private static bool IsWordRune(Rune rune) => Rune.GetUnicodeCategory(rune) switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.NonSpacingMark
            or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark or UnicodeCategory.DecimalDigitNumber
            or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber or UnicodeCategory.ConnectorPunctuation => true,
        _ => false,
    };

    private static bool IsJoiner(Rune rune) => rune.Value is '\'' or '\u2019' or '-';
}
