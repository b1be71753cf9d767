// A hand-written equivalent of tiktoken's o200k_base split regex (cased letter runs with suffixes).
namespace Quill.Tokenizers.PreTokenizers;

/// <summary>
/// o200k_base's pattern, alternatives tried in order as a backtracking engine does:
/// <code>
/// [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
/// |[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
/// |\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
/// </code>
/// </summary>
internal static class O200kWordScanner
{
    private const byte Upper = TiktokenCharClass.UpperCased;
    private const byte Lower = TiktokenCharClass.LowerCased;

    public static int NextWordEnd(ReadOnlySpan<char> s, int pos)
    {
        char c = s[pos];
        byte flags = TiktokenCharClass.Of(c);
        bool canPrefix = c != '\r' && c != '\n' && (flags & (TiktokenCharClass.Letter | TiktokenCharClass.Number)) == 0;

        if (canPrefix || (flags & (Upper | Lower)) != 0)
        {
            int end = LowerEndingWord(s, pos, canPrefix);
            if (end < 0) end = UpperStartingWord(s, pos, canPrefix);
            if (end >= 0) return end;
        }

        if ((flags & TiktokenCharClass.Number) != 0) return TiktokenWordScanner.NumberTripleEnd(s, pos);

        // " ?[^\s\p{L}\p{N}]+[\r\n/]*"
        int q = c == ' ' && pos + 1 < s.Length ? pos + 1 : pos;
        if (TiktokenCharClass.IsOther(TiktokenCharClass.Of(s[q])))
        {
            int end = TiktokenWordScanner.OtherRunEnd(s, q + 1);
            while (end < s.Length && s[end] is '\r' or '\n' or '/') end++;
            return end;
        }

        // "\s*[\r\n]+|\s+(?!\S)|\s+": no "$" alternative here.
        return TiktokenWordScanner.WhitespaceWordEnd(s, pos, lineBreakRule: true, endAnchorRule: false);
    }

    /// <summary>The first alternative: optional prefix, upper-class run, a non-empty lower-class run, suffix; -1 if none.</summary>
    private static int LowerEndingWord(ReadOnlySpan<char> s, int pos, bool canPrefix)
    {
        for (int p = canPrefix ? pos + 1 : pos; p >= pos; p--)
        {
            int upperEnd = p;
            while (upperEnd < s.Length && (TiktokenCharClass.Of(s[upperEnd]) & Upper) != 0) upperEnd++;
            // The greedy upper run gives back characters one at a time until the lower run can start.
            for (int k = upperEnd; k >= p; k--)
            {
                if (k < s.Length && (TiktokenCharClass.Of(s[k]) & Lower) != 0)
                    return Suffix(s, TiktokenWordScanner.RunEnd(s, k + 1, Lower));
            }
        }
        return -1;
    }

    /// <summary>The second alternative: optional prefix, a non-empty upper-class run, lower-class run, suffix; -1 if none.</summary>
    private static int UpperStartingWord(ReadOnlySpan<char> s, int pos, bool canPrefix)
    {
        for (int p = canPrefix ? pos + 1 : pos; p >= pos; p--)
        {
            int upperEnd = TiktokenWordScanner.RunEnd(s, p, Upper);
            if (upperEnd > p) return Suffix(s, TiktokenWordScanner.RunEnd(s, upperEnd, Lower));
        }
        return -1;
    }

    /// <summary><c>(?i:'s|'t|'re|'ve|'m|'ll|'d)?</c></summary>
    private static int Suffix(ReadOnlySpan<char> s, int pos)
    {
        if (pos < s.Length && s[pos] == '\'')
        {
            int end = TiktokenWordScanner.Contraction(s, pos, ignoreCase: true);
            if (end > 0) return end;
        }
        return pos;
    }
}
