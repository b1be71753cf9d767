// Tool calling for one request on one model: checks the tools, renders them into the prompt, makes the lazy constraint and the parser.
using System.Text;
using System.Text.Json.Nodes;
using Quill.Generation.Constraints;
using Quill.Tokenizers;
using Quill.Tokenizers.ChatTemplates;
using JsonNode = System.Text.Json.Nodes.JsonNode;

namespace Quill.Tools;

/// <summary>
/// The tools, the choice and the format of one request. The prompt goes through the model's template with
/// <c>tools</c> (the Hugging Face convention) and messages carrying <c>tool_calls</c> / <c>tool_call_id</c>; for the
/// <see cref="ToolCallStyle.Generic"/> format, whose template knows no tools, a system-prompt section describes them
/// and earlier calls and results are written into the messages as Hermes tags. <see cref="NewConstraint"/> gives
/// each sequence its lazy constraint (none for tool_choice none, which keeps the tools in the prompt but never
/// constrains or parses calls); <see cref="NewParser"/> splits the output.
/// </summary>
public sealed class ToolCalling
{
    private readonly JsonGrammar? _grammar;

    /// <summary>
    /// Checks the tools (names non-empty and distinct, a named choice among them, every parameters schema compilable)
    /// and compiles the call grammar; throws <see cref="ArgumentException"/> naming tools[i] or tool_choice.
    /// </summary>
    public ToolCalling(IReadOnlyList<ToolDefinition> tools, ToolChoice choice, bool parallelCalls, ToolCallFormat format)
    {
        ArgumentNullException.ThrowIfNull(tools);
        ArgumentNullException.ThrowIfNull(choice);
        ArgumentNullException.ThrowIfNull(format);
        (Tools, Choice, Format) = (tools, choice, format);
        ParallelCalls = parallelCalls && format.SupportsParallelCalls;
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < tools.Count; i++)
        {
            if (string.IsNullOrEmpty(tools[i].Name)) throw new ArgumentException($"tools[{i}].function.name: expected a function name, found none");
            if (!names.Add(tools[i].Name)) throw new ArgumentException($"tools[{i}].function.name: '{tools[i].Name}' is declared twice");
        }
        if (choice.Mode == ToolChoiceMode.None) return;
        if (tools.Count == 0 && choice.Mode != ToolChoiceMode.Auto)
            throw new ArgumentException($"tool_choice: '{choice.Mode.ToString().ToLowerInvariant()}' needs tools, found none");
        if (tools.Count == 0) return;
        List<int> callable = [.. Enumerable.Range(0, tools.Count)];
        if (choice.Mode == ToolChoiceMode.Function)
        {
            int index = callable.FindIndex(i => tools[i].Name == choice.FunctionName);
            if (index < 0)
                throw new ArgumentException(
                    $"tool_choice: function '{choice.FunctionName}' is not among the tools ({string.Join(", ", tools.Select(t => t.Name))})");
            callable = [index];
        }
        _grammar = ToolCallGrammar.Build(tools, callable, format, ParallelCalls);
    }

    /// <summary>The constructor's checks, with the format <paramref name="template"/>'s source shows.</summary>
    public static ToolCalling For(ChatTemplate template, IReadOnlyList<ToolDefinition> tools, ToolChoice choice, bool parallelCalls)
    {
        ArgumentNullException.ThrowIfNull(template);
        return new ToolCalling(tools, choice, parallelCalls, ToolCallFormat.Detect(template.Source));
    }

    /// <summary>The functions.</summary>
    public IReadOnlyList<ToolDefinition> Tools { get; }

    /// <summary>auto, none, required or a named function.</summary>
    public ToolChoice Choice { get; }

    /// <summary>How the model writes calls.</summary>
    public ToolCallFormat Format { get; }

    /// <summary>True when a reply may hold several calls (asked for, and the format can hold them).</summary>
    public bool ParallelCalls { get; }

    /// <summary>True when the output is constrained and parsed as calls (there are tools and the choice is not none).</summary>
    public bool CallsExpected => _grammar is not null;

    /// <summary>A fresh constraint for one sequence; null when no calls are expected.</summary>
    public ITokenConstraint? NewConstraint(ITokenizer tokenizer)
    {
        if (_grammar is null) return null;
        bool forced = Choice.Mode is ToolChoiceMode.Required or ToolChoiceMode.Function;
        return new ToolCallConstraint(tokenizer, _grammar, Format, forced, ParallelCalls);
    }

    /// <summary>A fresh parser for one reply; null when no calls are expected (the output is all content).</summary>
    public ToolCallParser? NewParser() => _grammar is null ? null : new ToolCallParser(Format);

    /// <summary>The prompt text: <paramref name="messages"/> (prepared for the format) through <paramref name="template"/> with <c>tools</c>.</summary>
    public string Render(ChatTemplate template, IReadOnlyList<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(template);
        return template.Render(PrepareMessages(messages, Format, Tools), true, TemplateVariables());
    }

    /// <summary>The prompt's token ids (special tokens parsed; BOS added only when the text does not start with it).</summary>
    public int[] Encode(ChatTemplate template, ITokenizer tokenizer, IReadOnlyList<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        string rendered = Render(template, messages);
        return tokenizer.Encode(rendered, ChatTemplate.NeedsSpecialTokens(rendered, tokenizer), parseSpecial: true);
    }

    /// <summary>{"tools": [...]} for templates that read tools; empty for none or the generic format.</summary>
    public IReadOnlyDictionary<string, object?> TemplateVariables()
    {
        if (Tools.Count == 0 || Format.Style == ToolCallStyle.Generic) return new Dictionary<string, object?>();
        return new Dictionary<string, object?> { ["tools"] = new JsonArray([.. Tools.Select(t => (JsonNode)t.ToTemplateJson())]) };
    }

    /// <summary>
    /// <paramref name="messages"/> as <paramref name="format"/>'s template needs them: unchanged, except for the generic
    /// format, where the tools' description joins the system message and calls and results become Hermes-tagged text
    /// (results as user turns, which every template accepts).
    /// </summary>
    public static IReadOnlyList<ChatMessage> PrepareMessages(IReadOnlyList<ChatMessage> messages, ToolCallFormat format, IReadOnlyList<ToolDefinition> tools)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(format);
        ArgumentNullException.ThrowIfNull(tools);
        if (format.Style != ToolCallStyle.Generic) return messages;
        var result = new List<ChatMessage>(messages.Count + 1);
        foreach (ChatMessage m in messages)
        {
            if (m.ToolCalls is { Count: > 0 } calls)
            {
                var text = new StringBuilder(m.Content);
                foreach (ChatToolCall call in calls)
                {
                    if (text.Length > 0) text.Append('\n');
                    text.Append("<tool_call>\n").Append(CallJson(call)).Append("\n</tool_call>");
                }
                result.Add(new ChatMessage(m.Role, text.ToString()));
            }
            else if (m.Role == "tool") result.Add(new ChatMessage("user", $"<tool_response>\n{m.Content}\n</tool_response>"));
            else result.Add(m with { ToolCalls = null, ToolCallId = null });
        }
        if (tools.Count == 0) return result;
        string section = GenericSystemSection(tools);
        if (result.Count > 0 && result[0].Role == "system") result[0] = result[0] with { Content = result[0].Content + "\n\n" + section };
        else result.Insert(0, new ChatMessage("system", section));
        return result;
    }

    /// <summary>The generic format's description of the tools and of how to call them.</summary>
    public static string GenericSystemSection(IReadOnlyList<ToolDefinition> tools)
    {
        ArgumentNullException.ThrowIfNull(tools);
        var text = new StringBuilder("# Tools\n\nYou may call one or more functions to assist with the user query.\n\n");
        text.Append("You are provided with function signatures within <tools></tools> XML tags:\n<tools>");
        foreach (ToolDefinition tool in tools) text.Append('\n').Append(tool.ToTemplateJson().ToJsonString());
        text.Append("\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n");
        text.Append("<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>");
        return text.ToString();
    }

    private static string CallJson(ChatToolCall call)
    {
        string name = new JsonObject { ["name"] = call.Name }.ToJsonString();
        return $"{name[..^1]}, \"arguments\": {(string.IsNullOrWhiteSpace(call.Arguments) ? "{}" : call.Arguments)}}}";
    }
}
