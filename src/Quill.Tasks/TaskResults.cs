// The results of the tasks, in the shapes (and JSON names) Hugging Face pipelines return.
using System.Text.Json.Serialization;

namespace Quill.Tasks;

/// <summary>One label and its probability (text-classification / zero-shot-classification).</summary>
public sealed record LabelScore([property: JsonPropertyName("label")] string Label, [property: JsonPropertyName("score")] double Score);

/// <summary>
/// A span of the input: <see cref="Word"/> equals the input's code points [<see cref="Start"/>, <see cref="End"/>),
/// counted as Python and Hugging Face count them. <see cref="Entity"/> is the entity type (ner) or the tag (pos).
/// </summary>
public sealed record EntitySpan(
    [property: JsonPropertyName("entity")] string Entity,
    [property: JsonPropertyName("word")] string Word,
    [property: JsonPropertyName("start")] int Start,
    [property: JsonPropertyName("end")] int End,
    [property: JsonPropertyName("score")] double Score);

/// <summary>An answer found in the context: the context's code points [<see cref="Start"/>, <see cref="End"/>).</summary>
public sealed record ExtractedAnswer(
    [property: JsonPropertyName("answer")] string Answer,
    [property: JsonPropertyName("score")] double Score,
    [property: JsonPropertyName("start")] int Start,
    [property: JsonPropertyName("end")] int End);

/// <summary>A keyword or key phrase: the text's code points [<see cref="Start"/>, <see cref="End"/>), with its score.</summary>
public sealed record Keyword(
    [property: JsonPropertyName("keyword")] string Text,
    [property: JsonPropertyName("score")] double Score,
    [property: JsonPropertyName("start")] int Start,
    [property: JsonPropertyName("end")] int End);

/// <summary>The kinds of free text the rewriting tasks return; the JSON key is Hugging Face's name for it.</summary>
public enum TextTask
{
    /// <summary>{"summary_text"}.</summary>
    Summarize,

    /// <summary>{"generated_text"}: the text said again in other words.</summary>
    Paraphrase,

    /// <summary>{"generated_text"}: the text in plain words.</summary>
    Simplify,

    /// <summary>{"translation_text"}.</summary>
    Translate,

    /// <summary>{"generated_text"}: the prompt followed by its continuation, no chat template (text-generation).</summary>
    Complete,

    /// <summary>{"generated_text"}: the reply to an instruction, through the chat template.</summary>
    Generate,
}

/// <summary>The result of a rewriting task: <see cref="Text"/> under the JSON key <see cref="Key"/>.</summary>
public sealed record GeneratedText(string Key, string Text)
{
    /// <summary>The JSON key Hugging Face uses for <paramref name="task"/>'s output.</summary>
    public static string KeyFor(TextTask task) => task switch
    {
        TextTask.Summarize => "summary_text",
        TextTask.Translate => "translation_text",
        _ => "generated_text",
    };
}
