// Reads and checks the tool-calling fields of a chat request (tools, tool_choice, parallel_tool_calls, messages' tool_calls) into Quill.Tools.
using System.Text.Json;
using Quill.Tokenizers.ChatTemplates;
using Quill.Tools;

namespace Quill.Server.Endpoints;

/// <summary>
/// tools: [{type: "function", function: {name, description?, parameters?}}]; tool_choice: "auto" (the default with
/// tools), "none" (the default without), "required" or {type: "function", function: {name}}; parallel_tool_calls
/// (default true). Every mistake is an <see cref="ApiError"/> 400 naming the field.
/// </summary>
internal static class ChatToolFields
{
    /// <summary>The request's tool calling for <paramref name="template"/>'s format; throws <see cref="ApiError"/> for a bad field.</summary>
    public static ToolCalling Read(JsonElement? tools, JsonElement? toolChoice, bool? parallel, ChatTemplate template)
    {
        List<ToolDefinition> definitions = ReadTools(tools);
        ToolChoice choice = ReadChoice(toolChoice, definitions.Count > 0);
        try
        {
            return ToolCalling.For(template, definitions, choice, parallel ?? true);
        }
        catch (ArgumentException e)
        {
            string param = e.Message.StartsWith("tool_choice", StringComparison.Ordinal) ? "tool_choice"
                : e.Message.StartsWith("tools[", StringComparison.Ordinal) ? e.Message[..e.Message.IndexOf(' ', StringComparison.Ordinal)].TrimEnd(':')
                : "tools";
            throw ApiError.BadRequest($"Invalid '{param}': {e.Message}", param, "invalid_value");
        }
    }

    private static List<ToolDefinition> ReadTools(JsonElement? tools)
    {
        var list = new List<ToolDefinition>();
        if (tools is not { } array || array.ValueKind == JsonValueKind.Null) return list;
        if (array.ValueKind != JsonValueKind.Array)
            throw ApiError.BadRequest($"Invalid type for 'tools': expected an array of tools, found {Kind(array)}.", "tools", "invalid_type");
        int i = 0;
        foreach (JsonElement tool in array.EnumerateArray())
        {
            string at = $"tools[{i++}]";
            if (tool.ValueKind != JsonValueKind.Object) throw ApiError.BadRequest($"Invalid type for '{at}': expected an object.", at, "invalid_type");
            if (tool.TryGetProperty("type", out JsonElement type) && !(type.ValueKind == JsonValueKind.String && type.GetString() == "function"))
                throw ApiError.BadRequest($"Invalid value for '{at}.type': expected 'function', found {Kind(type)}.", $"{at}.type", "invalid_value");
            if (!tool.TryGetProperty("function", out JsonElement function) || function.ValueKind != JsonValueKind.Object)
                throw ApiError.BadRequest($"Missing required parameter: '{at}.function'.", $"{at}.function", "missing_required_parameter");
            if (!function.TryGetProperty("name", out JsonElement name) || name.ValueKind != JsonValueKind.String || name.GetString()!.Length == 0)
                throw ApiError.BadRequest($"Missing required parameter: '{at}.function.name'.", $"{at}.function.name", "missing_required_parameter");
            string? description = function.TryGetProperty("description", out JsonElement d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            JsonElement? parameters = null;
            if (function.TryGetProperty("parameters", out JsonElement p) && p.ValueKind != JsonValueKind.Null)
            {
                if (p.ValueKind != JsonValueKind.Object)
                    throw ApiError.BadRequest($"Invalid type for '{at}.function.parameters': expected a JSON Schema object, found {Kind(p)}.",
                        $"{at}.function.parameters", "invalid_type");
                parameters = p.Clone();
            }
            list.Add(new ToolDefinition(name.GetString()!, description, parameters));
        }
        return list;
    }

    private static ToolChoice ReadChoice(JsonElement? choice, bool haveTools)
    {
        if (choice is not { } c || c.ValueKind == JsonValueKind.Null) return haveTools ? ToolChoice.Auto : ToolChoice.None;
        if (c.ValueKind == JsonValueKind.String)
        {
            return c.GetString() switch
            {
                "auto" => ToolChoice.Auto,
                "none" => ToolChoice.None,
                "required" => ToolChoice.Required,
                var other => throw ApiError.BadRequest(
                    $"Invalid value for 'tool_choice': expected 'none', 'auto', 'required' or a function, found '{other}'.", "tool_choice", "invalid_value"),
            };
        }
        if (c.ValueKind == JsonValueKind.Object && c.TryGetProperty("function", out JsonElement function) && function.ValueKind == JsonValueKind.Object
            && function.TryGetProperty("name", out JsonElement name) && name.ValueKind == JsonValueKind.String)
        {
            return ToolChoice.Function(name.GetString()!);
        }
        throw ApiError.BadRequest("Invalid 'tool_choice': expected a string or {\"type\": \"function\", \"function\": {\"name\": ...}}.", "tool_choice",
            "invalid_type");
    }

    /// <summary>messages[i].tool_calls: [{id, type: "function", function: {name, arguments}}]; null when absent or empty.</summary>
    public static List<ChatToolCall>? ReadToolCalls(JsonElement? calls, int message)
    {
        if (calls is not { } array || array.ValueKind == JsonValueKind.Null) return null;
        string param = $"messages[{message}].tool_calls";
        if (array.ValueKind != JsonValueKind.Array) throw ApiError.BadRequest($"Invalid type for '{param}': expected an array.", param, "invalid_type");
        var list = new List<ChatToolCall>();
        int i = 0;
        foreach (JsonElement call in array.EnumerateArray())
        {
            string at = $"{param}[{i++}]";
            if (call.ValueKind != JsonValueKind.Object || !call.TryGetProperty("function", out JsonElement function)
                || function.ValueKind != JsonValueKind.Object || !function.TryGetProperty("name", out JsonElement name)
                || name.ValueKind != JsonValueKind.String)
                throw ApiError.BadRequest($"Invalid '{at}': expected {{\"id\", \"type\": \"function\", \"function\": {{\"name\", \"arguments\"}}}}.", at,
                    "invalid_type");
            string id = call.TryGetProperty("id", out JsonElement idValue) && idValue.ValueKind == JsonValueKind.String ? idValue.GetString()! : "";
            string arguments = !function.TryGetProperty("arguments", out JsonElement a) || a.ValueKind == JsonValueKind.Null ? "{}"
                : a.ValueKind == JsonValueKind.String ? a.GetString()! : a.GetRawText();
            list.Add(new ChatToolCall(id, name.GetString()!, arguments));
        }
        return list.Count > 0 ? list : null;
    }

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"'{value.GetString()}'",
        _ => "a " + value.ValueKind.ToString().ToLowerInvariant(),
    };
}
