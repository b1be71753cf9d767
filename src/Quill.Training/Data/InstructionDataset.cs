// JSONL instruction data (chat messages or prompt/completion) tokenized with the loss on answers only.
using System.Text.Json;
using Quill.Tokenizers;
using Quill.Tokenizers.ChatTemplates;

namespace Quill.Training.Data;

/// <summary>
/// Each line is <c>{"messages":[{"role":..,"content":..},..]}</c> or <c>{"prompt":..,"completion":..}</c>.
/// Chats are rendered with the chat template and tokenized with special-token parsing (BOS added only when the text
/// does not start with it, as ChatSession does). The tokens of assistant turn i are those between the rendering of
/// turns [0, i) with the generation prompt and the rendering of turns [0, i]; they are trained up to and including the
/// last end-of-generation token in that span (so ChatML's "\n" after &lt;|im_end|&gt; is not). Prompt/completion
/// lines train the completion and an EOS. Targets elsewhere are <see cref="TrainingExample.IgnoreIndex"/>.
/// </summary>
public sealed class InstructionDataset : ITrainingDataset
{
    private readonly List<TrainingExample> _examples;

    private InstructionDataset(string source, List<TrainingExample> examples, DatasetReport report)
    {
        Source = source;
        _examples = examples;
        Report = report;
    }

    public string Source { get; }

    public DatasetReport Report { get; }

    public int Count => _examples.Count;

    public TrainingExample this[int index] => _examples[index];

    public int LengthOf(int index) => _examples[index].Length;

    /// <summary>Loads a JSONL file; see <see cref="FromLines"/>.</summary>
    public static InstructionDataset Load(string path, ITokenizer tokenizer, ChatTemplate template, int maxLength, bool strict = false) =>
        FromLines(File.ReadLines(path), path, tokenizer, template, maxLength, strict);

    /// <summary>
    /// Builds examples from JSONL lines. Malformed lines are skipped and counted (or, when <paramref name="strict"/>,
    /// refused with an <see cref="InvalidDataException"/> naming <paramref name="source"/> and the line); examples
    /// longer than <paramref name="maxLength"/> inputs are cut to it and counted.
    /// </summary>
    public static InstructionDataset FromLines(IEnumerable<string> lines, string source, ITokenizer tokenizer, ChatTemplate template,
        int maxLength, bool strict = false)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        var examples = new List<TrainingExample>();
        var report = new DatasetReportBuilder(source, strict, "a JSON object with \"messages\" or \"prompt\"/\"completion\"");
        int lineNumber = 0;
        foreach (string line in lines)
        {
            lineNumber++;
            (List<int> Tokens, List<bool> Trained)? parsed = null;
            string? problem = Parse(line, tokenizer, template, ref parsed);
            if (problem is not null)
            {
                report.Skip(lineNumber, problem);
                continue;
            }
            (List<int> tokens, List<bool> trained) = parsed!.Value;
            if (tokens.Count > maxLength + 1)
            {
                report.Truncated++;
                tokens.RemoveRange(maxLength + 1, tokens.Count - maxLength - 1);
            }
            examples.Add(ToExample(tokens, trained));
        }
        return new InstructionDataset(source, examples, report.Build(examples.Count));
    }

    internal static TrainingExample ToExample(List<int> tokens, List<bool> trained)
    {
        int n = tokens.Count - 1;
        var inputs = new int[n];
        var targets = new int[n];
        for (int t = 0; t < n; t++)
        {
            inputs[t] = tokens[t];
            targets[t] = trained[t + 1] ? tokens[t + 1] : TrainingExample.IgnoreIndex;
        }
        return new TrainingExample(inputs, targets);
    }

    /// <summary>Null when the line gave an example (in <paramref name="result"/>), else what is wrong with it.</summary>
    private static string? Parse(string line, ITokenizer tokenizer, ChatTemplate template, ref (List<int>, List<bool>)? result)
    {
        if (string.IsNullOrWhiteSpace(line)) return "an empty line";
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException)
        {
            return "invalid JSON";
        }
        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return $"a JSON object was expected, found {root.ValueKind}";
            if (root.TryGetProperty("messages", out JsonElement messages))
            {
                if (messages.ValueKind != JsonValueKind.Array) return "\"messages\" must be an array";
                var list = new List<ChatMessage>();
                foreach (JsonElement message in messages.EnumerateArray())
                {
                    if (message.ValueKind != JsonValueKind.Object
                        || !message.TryGetProperty("role", out JsonElement role) || role.ValueKind != JsonValueKind.String
                        || !message.TryGetProperty("content", out JsonElement content) || content.ValueKind != JsonValueKind.String)
                        return "each message needs string \"role\" and \"content\"";
                    list.Add(new ChatMessage(role.GetString()!, content.GetString()!));
                }
                if (!list.Any(m => m.Role == "assistant" && m.Content.Length > 0)) return "no non-empty assistant message";
                try
                {
                    result = RenderChat(list, tokenizer, template);
                }
                catch (ChatTemplateException e)
                {
                    return $"a conversation the chat template refused ({e.Message})";
                }
            }
            else if (root.TryGetProperty("prompt", out JsonElement prompt))
            {
                if (prompt.ValueKind != JsonValueKind.String) return "\"prompt\" must be a string";
                if (!root.TryGetProperty("completion", out JsonElement completion)) return "\"completion\" is missing";
                if (completion.ValueKind != JsonValueKind.String) return "\"completion\" must be a string";
                if (completion.GetString()!.Length == 0) return "\"completion\" is empty";
                result = RenderPromptCompletion(prompt.GetString()!, completion.GetString()!, tokenizer);
            }
            else return "neither \"messages\" nor \"prompt\" is present";
        }
        if (result!.Value.Item1.Count < 2) return "fewer than two tokens";
        return null;
    }

    internal static (List<int>, List<bool>) RenderPromptCompletion(string prompt, string completion, ITokenizer tokenizer)
    {
        var tokens = new List<int>(tokenizer.Encode(prompt, addSpecial: true));
        var trained = new List<bool>(new bool[tokens.Count]);
        foreach (int id in tokenizer.Encode(completion, addSpecial: false))
        {
            tokens.Add(id);
            trained.Add(true);
        }
        if (tokenizer.EosId >= 0)
        {
            tokens.Add(tokenizer.EosId);
            trained.Add(true);
        }
        return (tokens, trained);
    }

    internal static (List<int>, List<bool>) RenderChat(List<ChatMessage> messages, ITokenizer tokenizer, ChatTemplate template)
    {
        string full = template.Render(messages, addGenerationPrompt: false);
        bool addSpecial = ChatTemplate.NeedsSpecialTokens(full, tokenizer);
        var tokens = new List<int>(tokenizer.Encode(full, addSpecial, parseSpecial: true));
        var trained = new List<bool>(new bool[tokens.Count]);
        for (int i = 0; i < messages.Count; i++)
        {
            if (messages[i].Role != "assistant") continue;
            int start = CountTokens(template.Render(messages[..i], addGenerationPrompt: true), tokenizer, addSpecial);
            int end = Math.Min(tokens.Count, CountTokens(template.Render(messages[..(i + 1)], addGenerationPrompt: false), tokenizer, addSpecial));
            int lastEnd = -1;
            for (int t = start; t < end; t++)
                if (tokenizer.IsEndOfGeneration(tokens[t]) || tokens[t] == tokenizer.EosId) lastEnd = t;
            if (lastEnd >= 0) end = lastEnd + 1;
            for (int t = start; t < end; t++) trained[t] = true;
        }
        return (tokens, trained);
    }

    private static int CountTokens(string text, ITokenizer tokenizer, bool addSpecial) => tokenizer.CountTokens(text, addSpecial, parseSpecial: true);
}
