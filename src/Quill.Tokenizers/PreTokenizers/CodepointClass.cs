// Codepoint classes as llama.cpp's unicode tables define them (category bits plus White_Space).
using System.Globalization;

namespace Quill.Tokenizers.PreTokenizers;

/// <summary>The category bits of llama.cpp's <c>unicode_cpt_flags</c>; a codepoint has exactly one category bit.</summary>
[Flags]
internal enum CodepointFlags : ushort
{
    None = 0,
    Undefined = 1,
    Number = 2,
    Letter = 4,
    Separator = 8,
    Mark = 16,
    Punctuation = 32,
    Symbol = 64,
    Control = 128,
    Whitespace = 256,
}

/// <summary>Looks up <see cref="CodepointFlags"/>; the Basic Multilingual Plane is tabled once, other planes are computed.</summary>
internal static class CodepointClass
{
    private static readonly CodepointFlags[] Bmp = BuildBmp();

    public static CodepointFlags Of(int codepoint) =>
        (uint)codepoint < 0x10000u ? Bmp[codepoint] : Compute(codepoint);

    public static bool IsLetter(int codepoint) => (Of(codepoint) & CodepointFlags.Letter) != 0;

    public static bool IsNumber(int codepoint) => (Of(codepoint) & CodepointFlags.Number) != 0;

    public static bool IsWhitespace(int codepoint) => (Of(codepoint) & CodepointFlags.Whitespace) != 0;

    /// <summary>Unicode White_Space, which is what llama.cpp's table holds (Python <c>regex</c>'s <c>\s</c>).</summary>
    public static bool IsWhiteSpaceProperty(int cp) =>
        cp is (>= 0x09 and <= 0x0D) or 0x20 or 0x85 or 0xA0 or 0x1680 or (>= 0x2000 and <= 0x200A)
            or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000;

    private static CodepointFlags[] BuildBmp()
    {
        var table = new CodepointFlags[0x10000];
        for (int cp = 0; cp < table.Length; cp++) table[cp] = Compute(cp);
        return table;
    }

    private static CodepointFlags Compute(int codepoint)
    {
        CodepointFlags category = CharUnicodeInfo.GetUnicodeCategory(codepoint) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CodepointFlags.Letter,
            UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => CodepointFlags.Mark,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CodepointFlags.Number,
            UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
                or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
                or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation => CodepointFlags.Punctuation,
            UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol
                or UnicodeCategory.OtherSymbol => CodepointFlags.Symbol,
            UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => CodepointFlags.Separator,
            _ => CodepointFlags.Control, // Cc, Cf, Cs, Co, Cn: Python regex \p{C}
        };
        return IsWhiteSpaceProperty(codepoint) ? category | CodepointFlags.Whitespace : category;
    }
}
