// The character classes of BERT's basic tokenizer (whitespace, control, punctuation, CJK), as Hugging Face defines them.
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Quill.Tokenizers.WordPiece;

/// <summary>
/// Hugging Face's bert.rs predicates on code points. Whitespace is Unicode White_Space (tab, newline, carriage return
/// included); a control char is Cc, Cf, Co or Cs other than tab, newline and carriage return (tokenizers.js; the Rust
/// crate also counts unassigned code points, whose set depends on its Unicode version); punctuation is ASCII 33-47,
/// 58-64, 91-96, 123-126 or any P* category; CJK ideographs are the eight blocks BERT's paper lists.
/// </summary>
internal static class BertCharClass
{
    private const byte Whitespace = 1, Control = 2, Punctuation = 4;

    // Classes of the ASCII range, so the common case is one load.
    private static ReadOnlySpan<byte> Ascii =>
    [
        2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 3, 3, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
        1, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4,
        4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4,
        4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 2,
    ];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsWhitespace(int cp) => cp < 128 ? (Ascii[cp] & Whitespace) != 0 : IsWhitespaceSlow(cp);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsControl(int cp) => cp < 128 ? (Ascii[cp] & Control) != 0 : IsControlSlow(cp);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsPunctuation(int cp) => cp < 128 ? (Ascii[cp] & Punctuation) != 0 : IsPunctuationSlow(cp);

    /// <summary>The CJK ideograph ranges of Hugging Face's bert.rs (its 0x2B920 start included) that BERT splits apart.</summary>
    public static bool IsChineseChar(int cp) =>
        cp is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF) or (>= 0x2A700 and <= 0x2B73F)
            or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B920 and <= 0x2CEAF) or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);

    private static bool IsWhitespaceSlow(int cp) => cp <= 0xFFFF && char.IsWhiteSpace((char)cp);

    private static bool IsControlSlow(int cp) => Category(cp) is UnicodeCategory.Control or UnicodeCategory.Format
        or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate;

    private static bool IsPunctuationSlow(int cp) => Category(cp) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
        or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
        or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;

    /// <summary>The category of a code point; a lone surrogate (which a <see cref="Rune"/> cannot hold) is Cs.</summary>
    public static UnicodeCategory Category(int cp) =>
        cp is >= 0xD800 and <= 0xDFFF ? UnicodeCategory.Surrogate : Rune.GetUnicodeCategory(new Rune(cp));

    /// <summary>The code point at <paramref name="index"/> and its length in chars (a lone surrogate is itself, length 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CodePointAt(ReadOnlySpan<char> text, int index, out int length)
    {
        char c = text[index];
        if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
        {
            length = 2;
            return char.ConvertToUtf32(c, text[index + 1]);
        }
        length = 1;
        return c;
    }
}
