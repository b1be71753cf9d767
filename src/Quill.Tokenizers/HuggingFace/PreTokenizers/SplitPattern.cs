// What a Split pre-tokenizer or Replace normalizer looks for: a literal, a known regex run by a hand-written scanner, a .NET regex, or a char class.
using System.Text.RegularExpressions;
using Quill.Tokenizers.PreTokenizers;

namespace Quill.Tokenizers.HuggingFace.PreTokenizers;

/// <summary>Finds the non-overlapping matches of a pattern, leftmost first, as Hugging Face's <c>Pattern::find_matches</c>.</summary>
internal abstract class SplitPattern
{
    /// <summary>Appends the matches inside text[start..end) as absolute [Start, End) ranges, in order.</summary>
    public abstract void FindMatches(ReadOnlySpan<char> text, int start, int end, List<(int Start, int End)> matches);
}

/// <summary>A literal string (tokenizer.json <c>{"String": ...}</c>).</summary>
internal sealed class LiteralSplitPattern(string literal) : SplitPattern
{
    public string Literal { get; } = literal;

    public override void FindMatches(ReadOnlySpan<char> text, int start, int end, List<(int Start, int End)> matches)
    {
        if (Literal.Length == 0) return;
        int position = start;
        while (position < end)
        {
            int found = text[position..end].IndexOf(Literal, StringComparison.Ordinal);
            if (found < 0) break;
            matches.Add((position + found, position + found + Literal.Length));
            position += found + Literal.Length;
        }
    }
}

/// <summary>A regex compiled by .NET from a translated Oniguruma pattern.</summary>
internal sealed class RegexSplitPattern(Regex regex) : SplitPattern
{
    public Regex Regex { get; } = regex;

    public override void FindMatches(ReadOnlySpan<char> text, int start, int end, List<(int Start, int End)> matches)
    {
        foreach (ValueMatch match in Regex.EnumerateMatches(text[start..end]))
        {
            matches.Add((start + match.Index, start + match.Index + match.Length));
        }
    }
}

/// <summary>Every single codepoint a predicate accepts is one match (Hugging Face's <c>char</c>/<c>Fn(char)</c> patterns).</summary>
internal sealed class CodepointSplitPattern(Func<int, bool> predicate) : SplitPattern
{
    public override void FindMatches(ReadOnlySpan<char> text, int start, int end, List<(int Start, int End)> matches)
    {
        for (int i = start; i < end;)
        {
            int length = char.IsHighSurrogate(text[i]) && i + 1 < end && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            int codepoint = length == 2 ? char.ConvertToUtf32(text[i], text[i + 1]) : text[i];
            if (predicate(codepoint)) matches.Add((i, i + length));
            i += length;
        }
    }
}

/// <summary>The pre-tokenizer regexes of known model families, run by the scanners in <see cref="CodepointScanners"/>.</summary>
internal enum KnownSplitRegex
{
    Gpt2,
    Llama3,
    Qwen2,
}

/// <summary>A known family regex: every word the scanner yields is a match (these regexes match every character).</summary>
internal sealed class ScannerSplitPattern(KnownSplitRegex kind) : SplitPattern
{
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    public const string Llama3Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    public const string Qwen2Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    [ThreadStatic] private static List<int>? t_lengths;

    public KnownSplitRegex Kind { get; } = kind;

    public static SplitPattern? TryFor(string regex) => regex switch
    {
        Gpt2Pattern => new ScannerSplitPattern(KnownSplitRegex.Gpt2),
        Llama3Pattern => new ScannerSplitPattern(KnownSplitRegex.Llama3),
        Qwen2Pattern => new ScannerSplitPattern(KnownSplitRegex.Qwen2),
        _ => null,
    };

    public override void FindMatches(ReadOnlySpan<char> text, int start, int end, List<(int Start, int End)> matches)
    {
        if (end <= start) return;
        List<int> lengths = t_lengths ??= [];
        lengths.Clear();
        using var codepoints = new CodepointText(text[start..end]);
        ReadOnlySpan<int> cps = codepoints.Codepoints;
        Scan(Kind, cps, lengths);
        int cp = 0;
        foreach (int length in lengths)
        {
            matches.Add((start + codepoints.CharStart(cp), start + codepoints.CharStart(cp + length)));
            cp += length;
        }
    }

    /// <summary>Runs the scanner of <paramref name="kind"/> over all of <paramref name="cps"/>.</summary>
    public static void Scan(KnownSplitRegex kind, ReadOnlySpan<int> cps, List<int> lengths)
    {
        switch (kind)
        {
            case KnownSplitRegex.Gpt2: CodepointScanners.Gpt2(cps, 0, cps.Length, lengths); break;
            case KnownSplitRegex.Llama3: CodepointScanners.Llama3(cps, 0, cps.Length, 3, lengths); break;
            default: CodepointScanners.Llama3(cps, 0, cps.Length, 1, lengths); break;
        }
    }
}
