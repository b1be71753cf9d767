// The default prompt of every generative task, and how a prompt's {placeholders} are filled.
using System.Text;
using System.Text.RegularExpressions;

namespace Quill.Tasks.Prompting;

/// <summary>
/// Each task's default user message. A prompt is plain text with placeholders in braces, filled per call:
/// <c>{text}</c> (the input), <c>{labels}</c> (classify), <c>{types}</c> (ner), <c>{tags}</c> (pos),
/// <c>{context}</c> and <c>{question}</c> (qa), <c>{schema}</c> (extract), <c>{language}</c> (translate) and <c>{k}</c>
/// (keywords). A prompt given in their place (<c>--prompt-file</c>) may use the same placeholders; unknown ones are
/// refused, and <c>{{</c> / <c>}}</c> write a literal brace. The output format each prompt asks for is the one the
/// task constrains decoding to, so a model that follows the instruction and the constraint agree.
/// </summary>
public static partial class TaskPrompts
{
    public const string Classify =
        "Classify the text into exactly one of these labels: {labels}.\nAnswer with the label only.\n\nText: {text}";

    public const string Ner =
        "Find the named entities in the text. Entity types: {types}.\n" +
        "List each entity on its own line as \"type: words copied exactly from the text\", in the order they appear. " +
        "If there are none, answer with nothing.\n\nText: {text}";

    public const string Pos =
        "Tag every word of the text with its Universal Dependencies part-of-speech tag ({tags}).\n" +
        "Answer as word/TAG pairs separated by spaces, one per word, in order.\n\nText: {text}";

    public const string Qa =
        "Answer the question with words copied exactly from the context.\n\nContext: {context}\n\nQuestion: {question}";

    public const string Extract =
        "Extract the information in the text as JSON that matches this JSON Schema:\n{schema}\n\nText: {text}";

    public const string Summarize = "Summarize the text in a few sentences.\n\nText: {text}";

    public const string Paraphrase = "Paraphrase the text: say the same thing in different words.\n\nText: {text}";

    public const string Simplify = "Rewrite the text in simple words and short sentences that a child could understand.\n\nText: {text}";

    public const string Translate = "Translate the text into {language}. Answer with the translation only.\n\nText: {text}";

    public const string Generate = "{text}";

    public const string Keywords =
        "List the {k} most important keywords or key phrases of the text, each on its own line, copied exactly from the text.\n\nText: {text}";

    /// <summary>The placeholders any prompt may use.</summary>
    public static IReadOnlyList<string> Placeholders { get; } = ["text", "labels", "types", "tags", "context", "question", "schema", "language", "k"];

    /// <summary>
    /// <paramref name="prompt"/> with each placeholder replaced by its value in <paramref name="values"/> (missing ones
    /// become empty). Throws <see cref="ArgumentException"/> naming an unknown placeholder or an unmatched brace.
    /// </summary>
    public static string Fill(string prompt, IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(values);
        var text = new StringBuilder(prompt.Length + 256);
        int i = 0;
        while (i < prompt.Length)
        {
            char c = prompt[i];
            if ((c == '{' || c == '}') && i + 1 < prompt.Length && prompt[i + 1] == c)
            {
                text.Append(c);
                i += 2;
                continue;
            }
            if (c == '}') throw new ArgumentException($"prompt: a '}}' at character {i} closes no placeholder (write '}}}}' for a brace)");
            if (c != '{')
            {
                text.Append(c);
                i++;
                continue;
            }
            Match match = PlaceholderPattern().Match(prompt, i);
            if (!match.Success || match.Index != i)
            {
                throw new ArgumentException($"prompt: a '{{' at character {i} starts no placeholder (write '{{{{' for a brace)");
            }
            string name = match.Groups[1].Value;
            if (!Placeholders.Contains(name))
            {
                string known = string.Join(", ", Placeholders.Select(p => "{" + p + "}"));
                throw new ArgumentException($"prompt: unknown placeholder {{{name}}}, expected one of {known}");
            }
            text.Append(values.TryGetValue(name, out string? value) ? value : "");
            i += match.Length;
        }
        return text.ToString();
    }

    [GeneratedRegex(@"\{([A-Za-z_]+)\}")]
    private static partial Regex PlaceholderPattern();
}
