// A function the model may call (OpenAI's tools[i].function) and the choice of whether and which to call; data only.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Quill.Tools;

/// <summary>
/// A function the model may call: its <paramref name="Name"/>, an optional <paramref name="Description"/> and the JSON
/// Schema of its arguments object (<paramref name="Parameters"/>; null: the function takes no arguments, "{}").
/// </summary>
public sealed record ToolDefinition(string Name, string? Description = null, JsonElement? Parameters = null)
{
    /// <summary>{"type": "function", "function": {name, description, parameters}}: what chat templates read from <c>tools</c>.</summary>
    public JsonObject ToTemplateJson()
    {
        var function = new JsonObject { ["name"] = Name };
        if (Description is not null) function["description"] = Description;
        if (Parameters is { } parameters) function["parameters"] = JsonNode.Parse(parameters.GetRawText());
        return new JsonObject { ["type"] = "function", ["function"] = function };
    }
}

/// <summary>Whether the model may, must or must not call a function (OpenAI's tool_choice).</summary>
public enum ToolChoiceMode
{
    /// <summary>The model chooses between text and calls ("auto"): text stays free until a call starts.</summary>
    Auto,

    /// <summary>No calls ("none"): the tools stay in the prompt, the output is text, never constrained or parsed as calls.</summary>
    None,

    /// <summary>At least one call, from the first token ("required").</summary>
    Required,

    /// <summary>A call of <see cref="ToolChoice.FunctionName"/>, from the first token ({"type": "function", "function": {"name"}}).</summary>
    Function,
}

/// <summary>OpenAI's tool_choice: a <see cref="ToolChoiceMode"/> and, for <see cref="ToolChoiceMode.Function"/>, the function's name.</summary>
public sealed record ToolChoice(ToolChoiceMode Mode, string? FunctionName = null)
{
    /// <summary>"auto".</summary>
    public static ToolChoice Auto { get; } = new(ToolChoiceMode.Auto);

    /// <summary>"none".</summary>
    public static ToolChoice None { get; } = new(ToolChoiceMode.None);

    /// <summary>"required".</summary>
    public static ToolChoice Required { get; } = new(ToolChoiceMode.Required);

    /// <summary>Must call the function named <paramref name="name"/>.</summary>
    public static ToolChoice Function(string name) => new(ToolChoiceMode.Function, name);
}
