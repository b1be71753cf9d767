// The normalised phrase matcher: folds a text once and runs every InjectionPhrases pattern over it (non-backtracking, so linear in the text).
using System.Text.RegularExpressions;

namespace Quill.Safety;

/// <summary>One pattern that matched: its family, its language and the matched (folded) text.</summary>
public sealed record PhraseHit(InjectionKind Kind, string Language, string Text);

/// <summary>
/// Compiled once; <see cref="Match"/> is thread-safe. The regexes use <see cref="RegexOptions.NonBacktracking"/>, so hostile
/// input cannot make a match take more than linear time.
/// </summary>
public sealed class PhraseMatcher
{
    private readonly (InjectionPhrase Phrase, Regex Regex)[] _patterns;

    /// <summary>A matcher over <paramref name="phrases"/> (default: <see cref="InjectionPhrases.All"/>).</summary>
    public PhraseMatcher(IEnumerable<InjectionPhrase>? phrases = null) =>
        _patterns = [.. (phrases ?? InjectionPhrases.All).Select(p => (p, new Regex(p.Pattern,
            RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | RegexOptions.Multiline)))];

    /// <summary>The shared default matcher.</summary>
    public static PhraseMatcher Default { get; } = new();

    /// <summary>Every pattern that matches <paramref name="text"/>, at most one hit per pattern.</summary>
    public IReadOnlyList<PhraseHit> Match(string text)
    {
        string words = TextFolding.Words(text), marks = TextFolding.Marks(text);
        var hits = new List<PhraseHit>();
        foreach (var (phrase, regex) in _patterns)
        {
            System.Text.RegularExpressions.Match m = regex.Match(phrase.Kind == InjectionKind.Delimiter ? marks : words);
            if (m.Success) hits.Add(new PhraseHit(phrase.Kind, phrase.Language, m.Value));
        }
        return hits;
    }
}
