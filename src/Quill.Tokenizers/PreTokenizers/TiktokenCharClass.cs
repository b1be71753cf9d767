// The character classes tiktoken's split patterns test, per UTF-16 code unit as .NET's Regex sees them; not codepoint-aware.
using System.Globalization;

namespace Quill.Tokenizers.PreTokenizers;

/// <summary>
/// Bits of one UTF-16 code unit: <c>\p{L}</c>, <c>\p{N}</c>, <c>\s</c>, and o200k's two cased classes. Classes are taken
/// per code unit, as Microsoft.ML.Tokenizers' <c>Regex</c> takes them: a surrogate is neither letter, number nor space,
/// so a supplementary-plane letter counts as "other" (tiktoken's Rust regex, which works on codepoints, differs there).
/// </summary>
internal static class TiktokenCharClass
{
    public const byte Letter = 1;       // \p{L}
    public const byte Number = 2;       // \p{N}
    public const byte Space = 4;        // \s: char.IsWhiteSpace
    public const byte UpperCased = 8;   // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
    public const byte LowerCased = 16;  // [\p{Ll}\p{Lm}\p{Lo}\p{M}]

    private static readonly byte[] Table = Build();

    public static byte Of(char c) => Table[c];

    /// <summary><c>[^\s\p{L}\p{N}]</c></summary>
    public static bool IsOther(byte flags) => (flags & (Letter | Number | Space)) == 0;

    private static byte[] Build()
    {
        var table = new byte[0x10000];
        for (int i = 0; i < table.Length; i++)
        {
            char c = (char)i;
            byte flags = char.IsWhiteSpace(c) ? Space : (byte)0;
            switch (char.GetUnicodeCategory(c))
            {
                case UnicodeCategory.UppercaseLetter:
                case UnicodeCategory.TitlecaseLetter:
                    flags |= Letter | UpperCased;
                    break;
                case UnicodeCategory.LowercaseLetter:
                    flags |= Letter | LowerCased;
                    break;
                case UnicodeCategory.ModifierLetter:
                case UnicodeCategory.OtherLetter:
                    flags |= Letter | UpperCased | LowerCased;
                    break;
                case UnicodeCategory.NonSpacingMark:
                case UnicodeCategory.SpacingCombiningMark:
                case UnicodeCategory.EnclosingMark:
                    flags |= UpperCased | LowerCased;
                    break;
                case UnicodeCategory.DecimalDigitNumber:
                case UnicodeCategory.LetterNumber:
                case UnicodeCategory.OtherNumber:
                    flags |= Number;
                    break;
            }
            table[i] = flags;
        }
        return table;
    }
}
