// Hand-written equivalents of tiktoken's gpt2/r50k/p50k and cl100k split regexes, one word at a time.
namespace Quill.Tokenizers.PreTokenizers;

/// <summary>Which split pattern an encoding uses.</summary>
internal enum TiktokenPattern
{
    /// <summary>gpt2, r50k_base, p50k_base: <c>'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s</c></summary>
    Gpt2,

    /// <summary>cl100k_base: <c>'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+|
    /// ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s</c></summary>
    Cl100k,

    /// <summary>o200k_base: see <see cref="O200kWordScanner"/>.</summary>
    O200k,
}

/// <summary>
/// Returns where the word that starts at <c>pos</c> ends, matching as .NET's backtracking <c>Regex</c> does with
/// Microsoft.ML.Tokenizers' patterns on <c>chunk</c> (the text between special tokens, so <c>$</c> and
/// <c>(?!\S)</c> see the chunk's end). Every code unit belongs to some word: the patterns match everything.
/// </summary>
internal static class TiktokenWordScanner
{
    public static int NextWordEnd(TiktokenPattern pattern, ReadOnlySpan<char> chunk, int pos) => pattern switch
    {
        TiktokenPattern.Gpt2 => Gpt2(chunk, pos),
        TiktokenPattern.Cl100k => Cl100k(chunk, pos),
        _ => O200kWordScanner.NextWordEnd(chunk, pos),
    };

    public static int Gpt2(ReadOnlySpan<char> s, int pos)
    {
        char c = s[pos];
        if (c == '\'')
        {
            int contraction = Contraction(s, pos, ignoreCase: false);
            if (contraction > 0) return contraction;
        }

        // " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": the optional space, then a run of one class.
        int q = c == ' ' && pos + 1 < s.Length ? pos + 1 : pos;
        byte flags = TiktokenCharClass.Of(s[q]);
        if ((flags & TiktokenCharClass.Letter) != 0) return RunEnd(s, q + 1, TiktokenCharClass.Letter);
        if ((flags & TiktokenCharClass.Number) != 0) return RunEnd(s, q + 1, TiktokenCharClass.Number);
        if (TiktokenCharClass.IsOther(flags)) return OtherRunEnd(s, q + 1);

        return WhitespaceWordEnd(s, pos, lineBreakRule: false);
    }

    public static int Cl100k(ReadOnlySpan<char> s, int pos)
    {
        char c = s[pos];
        if (c == '\'')
        {
            int contraction = Contraction(s, pos, ignoreCase: true);
            if (contraction > 0) return contraction;
        }

        // (?>[^\r\n\p{L}\p{N}]?)(?>\p{L}+): the possessive prefix takes c whenever it can, so no fallback without it.
        byte flags = TiktokenCharClass.Of(c);
        if ((flags & TiktokenCharClass.Letter) != 0) return RunEnd(s, pos + 1, TiktokenCharClass.Letter);
        if (c != '\r' && c != '\n' && (flags & TiktokenCharClass.Number) == 0
            && pos + 1 < s.Length && (TiktokenCharClass.Of(s[pos + 1]) & TiktokenCharClass.Letter) != 0)
        {
            return RunEnd(s, pos + 2, TiktokenCharClass.Letter);
        }

        if ((flags & TiktokenCharClass.Number) != 0) return NumberTripleEnd(s, pos);

        // " ?(?>[^\s\p{L}\p{N}]+)(?>[\r\n]*)"
        int q = c == ' ' && pos + 1 < s.Length ? pos + 1 : pos;
        if (TiktokenCharClass.IsOther(TiktokenCharClass.Of(s[q])))
        {
            int end = OtherRunEnd(s, q + 1);
            while (end < s.Length && s[end] is '\r' or '\n') end++;
            return end;
        }

        return WhitespaceWordEnd(s, pos, lineBreakRule: true);
    }

    /// <summary>
    /// From a whitespace character: <c>(?>\s+)$</c>, then (cl100k, o200k) <c>\s*[\r\n]+?</c> — up to the last line
    /// break of the run — then <c>\s+(?!\S)</c>, then a single <c>\s</c>.
    /// </summary>
    public static int WhitespaceWordEnd(ReadOnlySpan<char> s, int pos, bool lineBreakRule, bool endAnchorRule = true)
    {
        int end = pos;
        int lastLineBreak = -1;
        while (end < s.Length && (TiktokenCharClass.Of(s[end]) & TiktokenCharClass.Space) != 0)
        {
            if (s[end] is '\r' or '\n') lastLineBreak = end;
            end++;
        }
        if (endAnchorRule && end == s.Length) return end;
        if (lineBreakRule && lastLineBreak >= 0) return lastLineBreak + 1;
        if (end == s.Length) return end;
        return end - pos >= 2 ? end - 1 : pos + 1;
    }

    /// <summary><c>'s|'t|'re|'ve|'m|'ll|'d</c> at an apostrophe; returns the end, or 0 when none matches.</summary>
    public static int Contraction(ReadOnlySpan<char> s, int pos, bool ignoreCase)
    {
        if (pos + 1 >= s.Length) return 0;
        char d = ignoreCase ? AsciiLower(s[pos + 1]) : s[pos + 1];
        if (d is 's' or 't' or 'm' or 'd') return pos + 2;
        if (pos + 2 >= s.Length) return 0;
        char e = ignoreCase ? AsciiLower(s[pos + 2]) : s[pos + 2];
        return (d == 'r' && e == 'e') || (d == 'v' && e == 'e') || (d == 'l' && e == 'l') ? pos + 3 : 0;
    }

    /// <summary><c>\p{N}{1,3}</c> from a number.</summary>
    public static int NumberTripleEnd(ReadOnlySpan<char> s, int pos)
    {
        int end = pos + 1;
        int limit = Math.Min(s.Length, pos + 3);
        while (end < limit && (TiktokenCharClass.Of(s[end]) & TiktokenCharClass.Number) != 0) end++;
        return end;
    }

    public static int RunEnd(ReadOnlySpan<char> s, int from, byte classBit)
    {
        while (from < s.Length && (TiktokenCharClass.Of(s[from]) & classBit) != 0) from++;
        return from;
    }

    public static int OtherRunEnd(ReadOnlySpan<char> s, int from)
    {
        while (from < s.Length && TiktokenCharClass.IsOther(TiktokenCharClass.Of(s[from]))) from++;
        return from;
    }

    private static char AsciiLower(char c) => (uint)(c - 'A') <= 'Z' - 'A' ? (char)(c + 32) : c;
}
