// The phrase table of the matcher: override, prompt-leak, role-play, delimiter and indirect (addressed to the model) patterns in en, fr, de, es.
namespace Quill.Safety;

/// <summary>The five families of injection the matcher knows.</summary>
public enum InjectionKind
{
    /// <summary>"Ignore the previous instructions and …".</summary>
    Override,

    /// <summary>"Repeat the prompt word for word", "what is your system prompt".</summary>
    Leak,

    /// <summary>"You are now DAN", "pretend you have no rules".</summary>
    RolePlay,

    /// <summary>A fake chat-template turn: <c>&lt;|im_start|&gt;system</c>, <c>### System:</c>, <c>[INST]</c>.</summary>
    Delimiter,

    /// <summary>Text inside a document that addresses the model reading it: "AI reading this:", "note to the assistant".</summary>
    Indirect,
}

/// <summary>One pattern: its family, its language ("any" for delimiters) and the regular expression over folded text.</summary>
public sealed record InjectionPhrase(InjectionKind Kind, string Language, string Pattern);

/// <summary>
/// The table lives in injection-phrases.tsv (embedded): one pattern a line, KIND, LANG and the regex, tab-separated, so
/// that a reader can review it as a list. Patterns are written against <see cref="TextFolding.Words"/> except delimiters,
/// which read <see cref="TextFolding.Marks"/>.
/// </summary>
public static class InjectionPhrases
{
    /// <summary>Every pattern, in table order.</summary>
    public static IReadOnlyList<InjectionPhrase> All { get; } = Parse(ReadTable(), "injection-phrases.tsv");

    /// <summary>Parses table lines ("#" comments and blank lines skipped); a bad line fails with its number.</summary>
    public static IReadOnlyList<InjectionPhrase> Parse(IEnumerable<string> lines, string source)
    {
        var phrases = new List<InjectionPhrase>();
        int number = 0;
        foreach (string line in lines)
        {
            number++;
            if (line.Length == 0 || line[0] == '#') continue;
            string[] fields = line.Split('\t', 3);
            if (fields.Length != 3 || !Enum.TryParse(fields[0], out InjectionKind kind))
            {
                throw new InvalidDataException($"{source}:{number}: expected KIND<tab>LANG<tab>PATTERN, KIND one of " +
                    string.Join(", ", Enum.GetNames<InjectionKind>()));
            }
            phrases.Add(new InjectionPhrase(kind, fields[1], fields[2]));
        }
        return phrases;
    }

    private static IEnumerable<string> ReadTable()
    {
        using Stream stream = typeof(InjectionPhrases).Assembly.GetManifestResourceStream("Quill.Safety.injection-phrases.tsv")
            ?? throw new InvalidOperationException("Quill.Safety was built without injection-phrases.tsv");
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line) lines.Add(line);
        return lines;
    }
}
