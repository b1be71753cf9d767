// Folds text into the forms the phrase matcher reads: NFKC, case folding, confusables and leetspeak, no accents, collapsed punctuation.
using System.Globalization;
using System.Text;
using Quill.Tokenizers.HuggingFace.Normalizers;

namespace Quill.Safety;

/// <summary>
/// Two forms of one text. <see cref="Words"/>: NFKC, zero-width characters removed, Cyrillic and Greek look-alikes mapped
/// to Latin letters, lower case, accents removed (é → e, ß → ss), digits and symbols inside words read as letters
/// (1gn0r3 → ignore), every run of other characters one space, and spaced-out letters joined (i g n o r e → ignore).
/// <see cref="Marks"/>: the same up to lower case, punctuation kept and whitespace collapsed, for chat-template delimiters.
/// </summary>
public static class TextFolding
{
    private static readonly Dictionary<char, char> Confusables = new()
    {
        ['а'] = 'a', ['е'] = 'e', ['о'] = 'o', ['р'] = 'p', ['с'] = 'c', ['у'] = 'y', ['х'] = 'x', ['і'] = 'i', ['ј'] = 'j', ['ѕ'] = 's',
        ['ԁ'] = 'd', ['һ'] = 'h', ['ԛ'] = 'q', ['ԝ'] = 'w', ['ο'] = 'o', ['α'] = 'a', ['ε'] = 'e', ['ι'] = 'i', ['κ'] = 'k', ['ν'] = 'v',
        ['ρ'] = 'p', ['τ'] = 't', ['υ'] = 'u', ['χ'] = 'x', ['ı'] = 'i', ['ł'] = 'l', ['ø'] = 'o', ['đ'] = 'd',
    };

    private static readonly Dictionary<char, char> Leet = new()
    {
        ['0'] = 'o', ['1'] = 'i', ['3'] = 'e', ['4'] = 'a', ['5'] = 's', ['7'] = 't', ['@'] = 'a', ['$'] = 's', ['!'] = 'i', ['|'] = 'l',
    };

    /// <summary>The punctuation-free form the language patterns match, words separated by one space.</summary>
    public static string Words(string text)
    {
        string marks = Marks(text);
        var letters = new StringBuilder(marks.Length);
        foreach (char c in UnicodeNormalization.Normalize(marks, NormalizationForm.FormD))
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark) continue;
            if (c == 'ß') letters.Append("ss");
            else letters.Append(c);
        }
        var s = new StringBuilder(letters.Length);
        bool space = true;
        for (int i = 0; i < letters.Length; i++)
        {
            char c = letters[i];
            if (Leet.TryGetValue(c, out char letter) && InWord(letters, i)) c = letter;
            if (char.IsLetterOrDigit(c))
            {
                s.Append(c);
                space = false;
            }
            else if (!space)
            {
                s.Append(' ');
                space = true;
            }
        }
        return JoinSpacedLetters(s.ToString().TrimEnd());
    }

    /// <summary>NFKC, no zero-width characters, look-alikes mapped, lower case, whitespace runs one space (one line break when they hold one).</summary>
    public static string Marks(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string nfkc = UnicodeNormalization.Normalize(text, NormalizationForm.FormKC); // Quill's tables: invariant globalization has none
        var s = new StringBuilder(nfkc.Length);
        bool space = false;
        foreach (char raw in nfkc)
        {
            if (raw is '\u200B' or '\u200C' or '\u200D' or '\u2060' or '\uFEFF' or '\u00AD') continue;
            char c = char.ToLowerInvariant(raw);
            if (Confusables.TryGetValue(c, out char latin)) c = latin;
            if (char.IsWhiteSpace(c))
            {
                if (!space && s.Length > 0) s.Append(c == '\n' ? '\n' : ' ');
                else if (c == '\n' && s.Length > 0) s[^1] = '\n'; // a run with a line break stays a line break
                space = true;
                continue;
            }
            s.Append(c);
            space = false;
        }
        return s.ToString().TrimEnd();
    }

    /// <summary>
    /// A digit counts as a letter next to a letter or digit ("1gn0re" folds, "8 gb" stays); a symbol only inside a word
    /// ("p@ss" folds, "rules!" stays).
    /// </summary>
    private static bool InWord(StringBuilder s, int i)
    {
        bool before = i > 0 && char.IsLetterOrDigit(s[i - 1]), after = i + 1 < s.Length && char.IsLetter(s[i + 1]);
        return char.IsAsciiDigit(s[i]) ? before || after : before && after;
    }

    /// <summary>"i g n o r e all" → "ignore all": runs of four or more one-letter words are joined.</summary>
    private static string JoinSpacedLetters(string words)
    {
        string[] parts = words.Split(' ');
        var s = new StringBuilder(words.Length);
        for (int i = 0; i < parts.Length;)
        {
            int j = i;
            while (j < parts.Length && parts[j].Length == 1) j++;
            if (s.Length > 0) s.Append(' ');
            if (j - i >= 4)
            {
                for (int k = i; k < j; k++) s.Append(parts[k]);
                i = j;
            }
            else
            {
                s.Append(parts[i]);
                i++;
            }
        }
        return s.ToString();
    }
}
