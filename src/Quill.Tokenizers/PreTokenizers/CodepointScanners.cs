// The word splitters llama.cpp runs before byte-level BPE, written as scanners over codepoints.
namespace Quill.Tokenizers.PreTokenizers;

/// <summary>
/// Each scanner takes one piece [start, end) of codepoints and appends the lengths of the words it splits into.
/// <see cref="Gpt2"/> and <see cref="Llama3"/> follow llama.cpp's hand-written <c>unicode_regex_split_custom_*</c>
/// (which equal the regexes they stand for); the others give what <c>std::regex</c> gives on llama.cpp's
/// "collapsed" text for the simple patterns of the default pre-tokenizer.
/// </summary>
internal static class CodepointScanners
{
    private const int OutOfRange = -1;

    /// <summary><c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c></summary>
    public static void Gpt2(ReadOnlySpan<int> cps, int start, int end, List<int> lengths)
    {
        int prevEnd = start;
        for (int pos = start; pos < end;)
        {
            int cpt = cps[pos];
            CodepointFlags flags = CodepointClass.Of(cpt);

            if (cpt == '\'' && pos + 1 < end)
            {
                int next = cps[pos + 1];
                if (next is 's' or 't' or 'm' or 'd')
                {
                    pos = Add(lengths, ref prevEnd, pos + 2);
                    continue;
                }
                if (pos + 2 < end)
                {
                    int nextNext = cps[pos + 2];
                    if ((next == 'r' && nextNext == 'e') || (next == 'v' && nextNext == 'e') || (next == 'l' && nextNext == 'l'))
                    {
                        pos = Add(lengths, ref prevEnd, pos + 3);
                        continue;
                    }
                }
            }

            CodepointFlags flags2 = cpt == ' ' ? FlagsAt(cps, pos + 1, start, end) : flags;
            if (Has(flags2, CodepointFlags.Letter))
            {
                if (cpt == ' ') pos++;
                while (Has(flags2, CodepointFlags.Letter)) flags2 = FlagsAt(cps, ++pos, start, end);
                Add(lengths, ref prevEnd, pos);
                continue;
            }
            if (Has(flags2, CodepointFlags.Number))
            {
                if (cpt == ' ') pos++;
                while (Has(flags2, CodepointFlags.Number)) flags2 = FlagsAt(cps, ++pos, start, end);
                Add(lengths, ref prevEnd, pos);
                continue;
            }
            if (IsOther(flags2))
            {
                if (cpt == ' ') pos++;
                while (IsOther(flags2)) flags2 = FlagsAt(cps, ++pos, start, end);
                Add(lengths, ref prevEnd, pos);
                continue;
            }

            int whitespaces = 0;
            while (Has(FlagsAt(cps, pos + whitespaces, start, end), CodepointFlags.Whitespace)) whitespaces++;
            if (whitespaces > 1 && CodepointAt(cps, pos + whitespaces, start, end) != OutOfRange)
            {
                pos += whitespaces - 1; // \s+(?!\S)
                Add(lengths, ref prevEnd, pos);
                continue;
            }
            if (whitespaces > 0)
            {
                pos += whitespaces; // \s+
                Add(lengths, ref prevEnd, pos);
                continue;
            }
            pos = Add(lengths, ref prevEnd, pos + 1); // no match
        }
    }

    /// <summary>
    /// <c>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,D}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>
    /// with D = <paramref name="maxDigits"/>: 3 for Llama 3, 1 for Qwen2.
    /// </summary>
    public static void Llama3(ReadOnlySpan<int> cps, int start, int end, int maxDigits, List<int> lengths)
    {
        int prevEnd = start;
        for (int pos = start; pos < end;)
        {
            int cpt = cps[pos];
            CodepointFlags flags = CodepointClass.Of(cpt);

            if (cpt == '\'' && pos + 1 < end)
            {
                int next = AsciiLower(cps[pos + 1]);
                if (next is 's' or 't' or 'm' or 'd')
                {
                    pos = Add(lengths, ref prevEnd, pos + 2);
                    continue;
                }
                if (pos + 2 < end)
                {
                    int nextNext = AsciiLower(cps[pos + 2]);
                    if ((next == 'r' && nextNext == 'e') || (next == 'v' && nextNext == 'e') || (next == 'l' && nextNext == 'l'))
                    {
                        pos = Add(lengths, ref prevEnd, pos + 3);
                        continue;
                    }
                }
            }

            if (!(cpt == '\r' || cpt == '\n' || Has(flags, CodepointFlags.Number)))
            {
                if (Has(flags, CodepointFlags.Letter) || Has(FlagsAt(cps, pos + 1, start, end), CodepointFlags.Letter))
                {
                    pos++;
                    while (Has(FlagsAt(cps, pos, start, end), CodepointFlags.Letter)) pos++;
                    Add(lengths, ref prevEnd, pos);
                    continue;
                }
            }

            if (Has(flags, CodepointFlags.Number))
            {
                int groupStart = pos;
                while (Has(FlagsAt(cps, pos, start, end), CodepointFlags.Number))
                {
                    if (++pos - groupStart >= maxDigits)
                    {
                        Add(lengths, ref prevEnd, pos);
                        groupStart = pos;
                    }
                }
                Add(lengths, ref prevEnd, pos);
                continue;
            }

            CodepointFlags flags2 = cpt == ' ' ? FlagsAt(cps, pos + 1, start, end) : flags;
            // llama.cpp tests the category of flags2 but the presence of flags (the current codepoint) here.
            if ((flags2 & (CodepointFlags.Whitespace | CodepointFlags.Letter | CodepointFlags.Number)) == 0 && flags != 0)
            {
                if (cpt == ' ') pos++;
                while (IsOther(flags2)) flags2 = FlagsAt(cps, ++pos, start, end);
                int cpt2 = CodepointAt(cps, pos, start, end);
                while (cpt2 is '\r' or '\n') cpt2 = CodepointAt(cps, ++pos, start, end);
                Add(lengths, ref prevEnd, pos);
                continue;
            }

            int whitespaces = 0;
            int lastLineBreakEnd = 0;
            while (Has(FlagsAt(cps, pos + whitespaces, start, end), CodepointFlags.Whitespace))
            {
                int cpt2 = cps[pos + whitespaces];
                if (cpt2 is '\r' or '\n') lastLineBreakEnd = pos + whitespaces + 1;
                whitespaces++;
            }
            if (lastLineBreakEnd > 0)
            {
                pos = lastLineBreakEnd; // \s*[\r\n]+
                Add(lengths, ref prevEnd, pos);
                continue;
            }
            if (whitespaces > 1 && CodepointAt(cps, pos + whitespaces, start, end) != OutOfRange)
            {
                pos += whitespaces - 1; // \s+(?!\S)
                Add(lengths, ref prevEnd, pos);
                continue;
            }
            if (whitespaces > 0)
            {
                pos += whitespaces; // \s+
                Add(lengths, ref prevEnd, pos);
                continue;
            }
            pos = Add(lengths, ref prevEnd, pos + 1); // no match
        }
    }

    /// <summary>
    /// Splits into alternating maximal runs in and out of a class: what <c>std::regex_iterator</c> gives for
    /// <c>[class]+</c> (matches and the gaps between them both become words).
    /// </summary>
    public static void ClassRuns(ReadOnlySpan<int> cps, int start, int end, Func<int, bool> inClass, List<int> lengths)
    {
        int runStart = start;
        bool runIn = start < end && inClass(cps[start]);
        for (int pos = start + 1; pos < end; pos++)
        {
            bool isIn = inClass(cps[pos]);
            if (isIn != runIn)
            {
                lengths.Add(pos - runStart);
                runStart = pos;
                runIn = isIn;
            }
        }
        if (end > runStart) lengths.Add(end - runStart);
    }

    /// <summary><c>[0-9][0-9][0-9]</c> through <c>std::regex_iterator</c>: each match and each gap is a word.</summary>
    public static void AsciiDigitTriples(ReadOnlySpan<int> cps, int start, int end, List<int> lengths)
    {
        int gapStart = start;
        int pos = start;
        while (pos + 3 <= end)
        {
            if (IsAsciiDigit(cps[pos]) && IsAsciiDigit(cps[pos + 1]) && IsAsciiDigit(cps[pos + 2]))
            {
                if (pos > gapStart) lengths.Add(pos - gapStart);
                lengths.Add(3);
                pos += 3;
                gapStart = pos;
            }
            else
            {
                pos++;
            }
        }
        if (end > gapStart) lengths.Add(end - gapStart);
    }

    /// <summary>
    /// The class of llama.cpp's default pre-tokenizer's first pattern <c>[\p{P}\$\+&lt;=&gt;\^~\|]+</c> on collapsed
    /// text: ASCII punctuation and symbols except the backtick, and non-ASCII punctuation (not non-ASCII symbols).
    /// </summary>
    public static bool IsDefaultPunctuation(int cp)
    {
        if (cp < 0x80) return cp is (>= 0x21 and <= 0x2F) or (>= 0x3A and <= 0x40) or (>= 0x5B and <= 0x5F) or (>= 0x7B and <= 0x7E);
        CodepointFlags flags = CodepointClass.Of(cp);
        return (flags & CodepointFlags.Whitespace) == 0 && (flags & CodepointFlags.Punctuation) != 0;
    }

    /// <summary><c>\p{N}</c> on collapsed text: ASCII digits and non-ASCII numbers that are not whitespace.</summary>
    public static bool IsCollapsedNumber(int cp)
    {
        if (cp < 0x80) return IsAsciiDigit(cp);
        CodepointFlags flags = CodepointClass.Of(cp);
        return (flags & CodepointFlags.Whitespace) == 0 && (flags & CodepointFlags.Number) != 0;
    }

    private static bool IsAsciiDigit(int cp) => (uint)(cp - '0') <= 9u;

    private static int AsciiLower(int cp) => (uint)(cp - 'A') <= 'Z' - 'A' ? cp + 32 : cp;

    private static bool Has(CodepointFlags flags, CodepointFlags bit) => (flags & bit) != 0;

    /// <summary><c>[^\s\p{L}\p{N}]</c> at an in-range position.</summary>
    private static bool IsOther(CodepointFlags flags) =>
        flags != 0 && (flags & (CodepointFlags.Whitespace | CodepointFlags.Letter | CodepointFlags.Number)) == 0;

    private static CodepointFlags FlagsAt(ReadOnlySpan<int> cps, int pos, int start, int end) =>
        pos >= start && pos < end ? CodepointClass.Of(cps[pos]) : CodepointFlags.None;

    private static int CodepointAt(ReadOnlySpan<int> cps, int pos, int start, int end) =>
        pos >= start && pos < end ? cps[pos] : OutOfRange;

    /// <summary>Ends the current word at <paramref name="wordEnd"/> (if non-empty); returns <paramref name="wordEnd"/>.</summary>
    private static int Add(List<int> lengths, ref int prevEnd, int wordEnd)
    {
        int length = wordEnd - prevEnd;
        if (length > 0) lengths.Add(length);
        prevEnd = wordEnd;
        return wordEnd;
    }
}
