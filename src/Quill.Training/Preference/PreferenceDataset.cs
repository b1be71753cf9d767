// JSONL preference data {"prompt","chosen","rejected"} tokenized as instruction data with answer-only targets.
using System.Text.Json;
using Quill.Tokenizers;
using Quill.Tokenizers.ChatTemplates;
using Quill.Training.Data;

namespace Quill.Training.Preference;

/// <summary>
/// Each line is <c>{"prompt":..,"chosen":..,"rejected":..}</c>. A string prompt is rendered as
/// <see cref="InstructionDataset"/> renders prompt/completion (prompt tokens with BOS, then the answer and EOS, no
/// chat template). A prompt given as a messages array <c>[{"role","content"},..]</c> is rendered with the chat template
/// with the answer appended as an assistant turn, exactly as an InstructionDataset conversation, except that only the
/// final (appended) assistant turn is trained. Answers are strings, or one assistant message
/// <c>{"role":"assistant","content":..}</c>, or an array holding just that message.
/// Sequences longer than maxLength inputs are cut at the end; a pair is dropped (counted as skipped, with its line)
/// when either answer would lose all its trained tokens.
/// </summary>
public sealed class PreferenceDataset
{
    private readonly List<PreferencePair> _pairs;

    private PreferenceDataset(string source, List<PreferencePair> pairs, DatasetReport report)
    {
        Source = source;
        _pairs = pairs;
        Report = report;
    }

    public string Source { get; }

    /// <summary>Pairs kept, skipped lines (malformed or cut away) with reasons, and pairs that were cut.</summary>
    public DatasetReport Report { get; }

    public int Count => _pairs.Count;

    public PreferencePair this[int index] => _pairs[index];

    /// <summary>Input tokens of the longer sequence of pair <paramref name="index"/>.</summary>
    public int LengthOf(int index) => _pairs[index].Length;

    /// <summary>
    /// Every <paramref name="k"/>-th pair (the k−1-th, 2k−1-th, ...) held out for validation; k &lt; 2, or fewer than k
    /// pairs, holds none out. Both halves carry this dataset's report.
    /// </summary>
    public (PreferenceDataset Train, PreferenceDataset? Validation) SplitEveryKth(int k)
    {
        if (k < 2 || Count < k) return (this, null);
        var (train, validation) = HeldOut.EveryKth(_pairs, k);
        return (new PreferenceDataset($"{Source} (training split)", [.. train], Report),
            new PreferenceDataset($"{Source} (validation split)", [.. validation], Report));
    }

    /// <summary>Loads a JSONL file; see <see cref="FromLines"/>.</summary>
    public static PreferenceDataset Load(string path, ITokenizer tokenizer, ChatTemplate template, int maxLength, bool strict = false) =>
        FromLines(File.ReadLines(path), path, tokenizer, template, maxLength, strict);

    /// <summary>
    /// Builds pairs from JSONL lines. Malformed lines are skipped and counted (or, when <paramref name="strict"/>,
    /// refused with an <see cref="InvalidDataException"/> naming <paramref name="source"/> and the line).
    /// </summary>
    public static PreferenceDataset FromLines(IEnumerable<string> lines, string source, ITokenizer tokenizer, ChatTemplate template,
        int maxLength, bool strict = false)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        var pairs = new List<PreferencePair>();
        var report = new DatasetReportBuilder(source, strict, "a JSON object with \"prompt\", \"chosen\" and \"rejected\"");
        int lineNumber = 0;
        foreach (string line in lines)
        {
            lineNumber++;
            string? problem = Parse(line, tokenizer, template, out var chosen, out var rejected);
            if (problem is not null)
            {
                report.Skip(lineNumber, problem);
                continue;
            }
            bool cut = Truncate(chosen, maxLength) | Truncate(rejected, maxLength);
            if (!HasTrainedTarget(chosen) || !HasTrainedTarget(rejected))
            {
                report.Skip(lineNumber, $"an answer cut away entirely by the maximum length of {maxLength} tokens", malformed: false);
                continue;
            }
            if (cut) report.Truncated++;
            pairs.Add(new PreferencePair(InstructionDataset.ToExample(chosen.Tokens, chosen.Trained),
                InstructionDataset.ToExample(rejected.Tokens, rejected.Trained), lineNumber));
        }
        return new PreferenceDataset(source, pairs, report.Build(pairs.Count));
    }

    /// <summary>Cuts to maxLength inputs (maxLength + 1 tokens); true when something was cut.</summary>
    private static bool Truncate(RenderedSequence sequence, int maxLength)
    {
        int keep = maxLength + 1;
        if (sequence.Tokens.Count <= keep) return false;
        sequence.Tokens.RemoveRange(keep, sequence.Tokens.Count - keep);
        sequence.Trained.RemoveRange(keep, sequence.Trained.Count - keep);
        return true;
    }

    /// <summary>Targets are tokens 1..n, so a trained flag at index 0 trains nothing.</summary>
    private static bool HasTrainedTarget(RenderedSequence sequence) => sequence.Trained.Skip(1).Any(t => t);

    /// <summary>Null when the line gave a pair (in the out parameters), else what is wrong with it.</summary>
    private static string? Parse(string line, ITokenizer tokenizer, ChatTemplate template, out RenderedSequence chosen, out RenderedSequence rejected)
    {
        chosen = rejected = default!;
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
            if (!root.TryGetProperty("prompt", out JsonElement prompt)) return "\"prompt\" is missing";
            string? problem = ReadAnswer(root, "chosen", out string chosenText);
            if (problem is not null) return problem;
            problem = ReadAnswer(root, "rejected", out string rejectedText);
            if (problem is not null) return problem;
            if (prompt.ValueKind == JsonValueKind.String)
            {
                string text = prompt.GetString()!;
                chosen = Render(InstructionDataset.RenderPromptCompletion(text, chosenText, tokenizer));
                rejected = Render(InstructionDataset.RenderPromptCompletion(text, rejectedText, tokenizer));
            }
            else if (prompt.ValueKind == JsonValueKind.Array)
            {
                var messages = new List<ChatMessage>();
                foreach (JsonElement message in prompt.EnumerateArray())
                {
                    if (!TryReadMessage(message, out ChatMessage? m)) return "each prompt message needs string \"role\" and \"content\"";
                    messages.Add(m!);
                }
                if (messages.Count == 0) return "an empty \"prompt\" array";
                try
                {
                    chosen = RenderChatAnswer(messages, chosenText, tokenizer, template);
                    rejected = RenderChatAnswer(messages, rejectedText, tokenizer, template);
                }
                catch (ChatTemplateException e)
                {
                    return $"a conversation the chat template refused ({e.Message})";
                }
            }
            else return "\"prompt\" must be a string or an array of messages";
        }
        if (chosen.Tokens.Count < 2 || rejected.Tokens.Count < 2) return "fewer than two tokens";
        return null;
    }

    /// <summary>A string, one assistant message, or an array of just that message; null when it is one, else why not.</summary>
    private static string? ReadAnswer(JsonElement root, string name, out string text)
    {
        text = "";
        if (!root.TryGetProperty(name, out JsonElement answer)) return $"\"{name}\" is missing";
        if (answer.ValueKind == JsonValueKind.Array && answer.GetArrayLength() == 1) answer = answer[0];
        if (answer.ValueKind == JsonValueKind.String) text = answer.GetString()!;
        else if (TryReadMessage(answer, out ChatMessage? m) && m!.Role == "assistant") text = m.Content;
        else return $"\"{name}\" must be a string or one assistant message";
        return text.Length == 0 ? $"\"{name}\" is empty" : null;
    }

    private static bool TryReadMessage(JsonElement message, out ChatMessage? result)
    {
        result = null;
        if (message.ValueKind != JsonValueKind.Object
            || !message.TryGetProperty("role", out JsonElement role) || role.ValueKind != JsonValueKind.String
            || !message.TryGetProperty("content", out JsonElement content) || content.ValueKind != JsonValueKind.String)
            return false;
        result = new ChatMessage(role.GetString()!, content.GetString()!);
        return true;
    }

    /// <summary>The conversation plus the answer as an assistant turn; only that last turn keeps trained targets.</summary>
    private static RenderedSequence RenderChatAnswer(List<ChatMessage> prompt, string answer, ITokenizer tokenizer, ChatTemplate template)
    {
        List<ChatMessage> messages = [.. prompt, new ChatMessage("assistant", answer)];
        RenderedSequence sequence = Render(InstructionDataset.RenderChat(messages, tokenizer, template));
        bool addSpecial = ChatTemplate.NeedsSpecialTokens(template.Render(messages, addGenerationPrompt: false), tokenizer);
        int answerStart = tokenizer.CountTokens(template.Render(prompt, addGenerationPrompt: true), addSpecial, parseSpecial: true);
        for (int t = 0; t < Math.Min(answerStart, sequence.Trained.Count); t++) sequence.Trained[t] = false;
        return sequence;
    }

    private static RenderedSequence Render((List<int> Tokens, List<bool> Trained) rendered) => new(rendered.Tokens, rendered.Trained);

    /// <summary>Tokens of one rendered sequence and whether each is a trained answer token.</summary>
    private sealed record RenderedSequence(List<int> Tokens, List<bool> Trained);
}
