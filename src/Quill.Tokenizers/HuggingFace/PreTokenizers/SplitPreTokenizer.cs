// Hugging Face's Split pre-tokenizer (and the char-class splitters built on it: WhitespaceSplit, Punctuation, Digits, Whitespace).
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.HuggingFace.PreTokenizers;

/// <summary>Splits every piece at the matches of a pattern, keeping, dropping or merging the matches by <see cref="SplitBehavior"/>.</summary>
internal sealed class SplitPreTokenizer(SplitPattern pattern, SplitBehavior behavior, bool invert) : IPreTokenizer
{
    [ThreadStatic] private static List<(int Start, int End)>? t_matches;
    [ThreadStatic] private static List<TextPiece>? t_next;

    public SplitPattern Pattern { get; } = pattern;

    public SplitBehavior Behavior { get; } = behavior;

    public bool Invert { get; } = invert;

    /// <summary>WhitespaceSplit: runs of non-whitespace.</summary>
    public static SplitPreTokenizer WhitespaceSplit() =>
        new(new CodepointSplitPattern(Quill.Tokenizers.PreTokenizers.CodepointClass.IsWhiteSpaceProperty), SplitBehavior.Removed, false);

    /// <summary>Punctuation: each punctuation character (ASCII punctuation or Unicode P*) is split off by <paramref name="behavior"/>.</summary>
    public static SplitPreTokenizer Punctuation(SplitBehavior behavior) => new(new CodepointSplitPattern(CharKinds.IsPunctuation), behavior, false);

    /// <summary>Digits: each numeric character alone, or runs of them.</summary>
    public static SplitPreTokenizer Digits(bool individualDigits) =>
        new(new CodepointSplitPattern(CharKinds.IsNumeric), individualDigits ? SplitBehavior.Isolated : SplitBehavior.Contiguous, false);

    /// <summary>Whitespace: <c>\w+|[^\w\s]+</c>, everything else dropped.</summary>
    public static SplitPreTokenizer Whitespace() =>
        new(new RegexSplitPattern(new System.Text.RegularExpressions.Regex(@"\w+|[^\w\s]+", System.Text.RegularExpressions.RegexOptions.CultureInvariant)),
            SplitBehavior.Removed, true);

    public void PreTokenize(NormalizedText text, List<TextPiece> pieces)
    {
        List<(int Start, int End)> matches = t_matches ??= [];
        List<TextPiece> next = t_next ??= [];
        next.Clear();
        foreach (TextPiece piece in pieces)
        {
            matches.Clear();
            Pattern.FindMatches(text.Text, piece.Start, piece.End, matches);
            SplitBehaviors.Apply(piece.Start, piece.End, matches, Invert, Behavior, next);
        }
        pieces.Clear();
        pieces.AddRange(next);
    }
}

/// <summary>Character classes as Rust's char methods define them (is_numeric, is_punctuation).</summary>
internal static class CharKinds
{
    public static bool IsNumeric(int codepoint) =>
        System.Globalization.CharUnicodeInfo.GetUnicodeCategory(codepoint) is System.Globalization.UnicodeCategory.DecimalDigitNumber
            or System.Globalization.UnicodeCategory.LetterNumber or System.Globalization.UnicodeCategory.OtherNumber;

    public static bool IsPunctuation(int codepoint) =>
        (codepoint < 0x80 && char.IsAsciiLetterOrDigit((char)codepoint) is false && codepoint > 0x20 && codepoint < 0x7F)
        || System.Globalization.CharUnicodeInfo.GetUnicodeCategory(codepoint) is System.Globalization.UnicodeCategory.ConnectorPunctuation
            or System.Globalization.UnicodeCategory.DashPunctuation or System.Globalization.UnicodeCategory.OpenPunctuation
            or System.Globalization.UnicodeCategory.ClosePunctuation or System.Globalization.UnicodeCategory.InitialQuotePunctuation
            or System.Globalization.UnicodeCategory.FinalQuotePunctuation or System.Globalization.UnicodeCategory.OtherPunctuation;
}

/// <summary>Runs pre-tokenizers one after another, each splitting the pieces of the previous.</summary>
internal sealed class SequencePreTokenizer(IPreTokenizer[] stages) : IPreTokenizer
{
    public IReadOnlyList<IPreTokenizer> Stages { get; } = stages;

    public void PreTokenize(NormalizedText text, List<TextPiece> pieces)
    {
        foreach (IPreTokenizer stage in stages) stage.PreTokenize(text, pieces);
    }
}
