// Template text after @huggingface/jinja's preprocessing (trim_blocks, lstrip_blocks, {% generation %} removed), with the original line of every character.
using System.Text;
using System.Text.RegularExpressions;

namespace Quill.Tokenizers.ChatTemplates.Jinja;

/// <summary>
/// Applies the same textual rewrites as @huggingface/jinja (and so transformers' apply_chat_template settings):
/// one trailing newline dropped, spaces and tabs before a <c>{%</c>/<c>{#</c> at the start of a line dropped, the
/// newline right after <c>%}</c>/<c>#}</c> dropped, and the transformers-only <c>{% generation %}</c> tags removed.
/// </summary>
internal sealed partial class JinjaSource
{
    private JinjaSource(string text, int[] lines) => (Text, Lines) = (text, lines);

    /// <summary>The preprocessed text.</summary>
    public string Text { get; }

    /// <summary>The 1-based line in the original template of each character of <see cref="Text"/>.</summary>
    public int[] Lines { get; }

    /// <summary>The original line of position <paramref name="index"/> (past the end: the last line).</summary>
    public int LineAt(int index) => Lines.Length == 0 ? 1 : Lines[Math.Clamp(index, 0, Lines.Length - 1)];

    public static JinjaSource Preprocess(string template)
    {
        var lines = new int[template.Length];
        for (int i = 0, line = 1; i < template.Length; i++)
        {
            lines[i] = line;
            if (template[i] == '\n') line++;
        }
        string text = template;
        if (text.EndsWith('\n'))
        {
            text = text[..^1];
            lines = lines[..^1];
        }
        (text, lines) = Replace(text, lines, LeadingBlockIndent(), m => m.Groups[1].Value);
        (text, lines) = Replace(text, lines, NewlineAfterBlock(), m => m.Groups[1].Value);
        (text, lines) = Replace(text, lines, GenerationTag(), m =>
            (m.Groups[2].Length > 0 ? "" : m.Groups[1].Value) + (m.Groups[3].Length > 0 ? "" : m.Groups[4].Value));
        return new JinjaSource(text, lines);
    }

    // Rewrites text like Regex.Replace while carrying the line map; a replacement's characters keep their own line when
    // the replacement is a tail of the match (all the rewrites above keep a group), else the match's first line.
    private static (string, int[]) Replace(string text, int[] lines, Regex regex, Func<Match, string> replacement)
    {
        var builder = new StringBuilder(text.Length);
        var map = new List<int>(lines.Length);
        int last = 0;
        foreach (Match m in regex.Matches(text))
        {
            builder.Append(text, last, m.Index - last);
            for (int i = last; i < m.Index; i++) map.Add(lines[i]);
            string with = replacement(m);
            builder.Append(with);
            int line = m.Length > 0 ? lines[m.Index] : (m.Index < lines.Length ? lines[m.Index] : 1);
            for (int i = 0; i < with.Length; i++) map.Add(line);
            last = m.Index + m.Length;
        }
        builder.Append(text, last, text.Length - last);
        for (int i = last; i < text.Length; i++) map.Add(lines[i]);
        return (builder.ToString(), [.. map]);
    }

    [GeneratedRegex(@"^[ \t]*(\{[#%-])", RegexOptions.Multiline)]
    private static partial Regex LeadingBlockIndent();

    [GeneratedRegex(@"([#%-]\})\n")]
    private static partial Regex NewlineAfterBlock();

    [GeneratedRegex(@"(\s*)\{%(-?)\s*(?:end)?generation\s*(-?)%\}(\s*)", RegexOptions.Singleline)]
    private static partial Regex GenerationTag();
}
