// How one model family writes a tool call (trigger text, JSON shape, closing text), detected from its chat template source.
namespace Quill.Tools;

/// <summary>The families of tool-call syntax Quill knows.</summary>
public enum ToolCallStyle
{
    /// <summary>Hermes / Qwen: <c>&lt;tool_call&gt;\n{"name": ..., "arguments": {...}}\n&lt;/tool_call&gt;</c>, repeated for parallel calls.</summary>
    Hermes,

    /// <summary>Llama 3.x: the reply is one JSON object <c>{"name": ..., "parameters": {...}}</c>; one call per message.</summary>
    Llama3Json,

    /// <summary>Mistral: <c>[TOOL_CALLS]</c> then a JSON array of <c>{"name": ..., "arguments": {...}}</c>.</summary>
    Mistral,

    /// <summary>A template with no tool syntax: tools are described in the system prompt and calls use the Hermes tags.</summary>
    Generic,
}

/// <summary>
/// The text a call is written as: free text until <see cref="Trigger"/>, then the call JSON (objects of
/// {"name", <see cref="ArgumentsKey"/>}, or an array of them when <see cref="CallsInArray"/>), then <see cref="Close"/>;
/// another call follows after <see cref="Separator"/> (null when the format holds one call, or several in its array).
/// </summary>
public sealed class ToolCallFormat
{
    private ToolCallFormat(ToolCallStyle style, string trigger, bool triggerIsJson, string close, string? separator, string argumentsKey, bool callsInArray)
    {
        (Style, Trigger, TriggerIsJson, Close, Separator, ArgumentsKey, CallsInArray) =
            (style, trigger, triggerIsJson, close, separator, argumentsKey, callsInArray);
    }

    /// <summary>Which family.</summary>
    public ToolCallStyle Style { get; }

    /// <summary>The text that starts the calls; free text before it is the message content.</summary>
    public string Trigger { get; }

    /// <summary>True when <see cref="Trigger"/> is the start of the call JSON itself (Llama 3's <c>{"name"</c>).</summary>
    public bool TriggerIsJson { get; }

    /// <summary>The text after a call's JSON ("" for none).</summary>
    public string Close { get; }

    /// <summary>The text between one call's <see cref="Close"/> and the next call's JSON; null when calls do not repeat this way.</summary>
    public string? Separator { get; }

    /// <summary>"arguments", or Llama 3's "parameters".</summary>
    public string ArgumentsKey { get; }

    /// <summary>True when the calls are the items of one JSON array (Mistral).</summary>
    public bool CallsInArray { get; }

    /// <summary>Hermes / Qwen.</summary>
    public static ToolCallFormat Hermes { get; } = new(ToolCallStyle.Hermes, "<tool_call>", false, "\n</tool_call>", "\n<tool_call>", "arguments", false);

    /// <summary>Llama 3.x JSON.</summary>
    public static ToolCallFormat Llama3Json { get; } = new(ToolCallStyle.Llama3Json, "{\"name\"", true, "", null, "parameters", false);

    /// <summary>Mistral.</summary>
    public static ToolCallFormat Mistral { get; } = new(ToolCallStyle.Mistral, "[TOOL_CALLS]", false, "", null, "arguments", true);

    /// <summary>The generic convention (Hermes tags, tools described in the system prompt).</summary>
    public static ToolCallFormat Generic { get; } = new(ToolCallStyle.Generic, "<tool_call>", false, "\n</tool_call>", "\n<tool_call>", "arguments", false);

    /// <summary>True when the format can hold more than one call in a message.</summary>
    public bool SupportsParallelCalls => Separator is not null || CallsInArray;

    /// <summary>
    /// The format a chat template writes calls in: <c>&lt;tool_call&gt;</c> in its source means Hermes/Qwen,
    /// <c>[TOOL_CALLS]</c> Mistral, <c>&lt;|python_tag|&gt;</c> or an <c>ipython</c> role Llama 3 JSON; a template that
    /// does not read <c>tools</c> or shows none of these gets <see cref="Generic"/>.
    /// </summary>
    public static ToolCallFormat Detect(string templateSource)
    {
        ArgumentNullException.ThrowIfNull(templateSource);
        if (templateSource.Contains("<tool_call>", StringComparison.Ordinal)) return Hermes;
        if (templateSource.Contains("[TOOL_CALLS]", StringComparison.Ordinal)) return Mistral;
        if (templateSource.Contains("<|python_tag|>", StringComparison.Ordinal) || templateSource.Contains("ipython", StringComparison.Ordinal))
            return Llama3Json;
        return Generic;
    }

    public override string ToString() => $"{Style} tool calls ({Trigger})";
}
