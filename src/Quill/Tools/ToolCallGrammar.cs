// The JSON grammar of a format's call JSON over a set of functions: {"name": one of them, arguments: that function's schema}.
using System.Text.Json;
using System.Text.Json.Nodes;
using Quill.Generation.Constraints;
using JsonNode = System.Text.Json.Nodes.JsonNode;

namespace Quill.Tools;

/// <summary>
/// Builds one JSON Schema document whose root is an anyOf over the callable functions, each an object whose first
/// property is "name" (a const, so the name picks the branch) and whose second is the format's arguments key with the
/// function's parameters schema (its <c>$ref</c>s rewritten to point inside the combined document); Mistral's root
/// is an array of those (at most one item unless parallel). Each function's schema is first compiled on its own, so
/// an unsupported keyword names the function.
/// </summary>
internal static class ToolCallGrammar
{
    private const string CompilerPrefix = "response_format.json_schema: ";

    /// <summary>The grammar; throws <see cref="ArgumentException"/> naming tools[i] and the function for a schema it cannot compile.</summary>
    public static JsonGrammar Build(IReadOnlyList<ToolDefinition> tools, IReadOnlyList<int> callable, ToolCallFormat format, bool parallel)
    {
        string prefix = format.CallsInArray ? "#/items/anyOf/" : "#/anyOf/";
        var branches = new JsonArray();
        for (int b = 0; b < callable.Count; b++)
        {
            ToolDefinition tool = tools[callable[b]];
            JsonNode parameters = tool.Parameters is { } p
                ? JsonNode.Parse(p.GetRawText())!
                : JsonNode.Parse("""{"type":"object","properties":{},"additionalProperties":false}""")!;
            CheckCompiles(parameters, callable[b], tool.Name);
            RewriteReferences(parameters, $"{prefix}{b}/properties/{format.ArgumentsKey}");
            branches.Add((JsonNode)new JsonObject
            {
                ["type"] = "object",
                ["properties"] = new JsonObject { ["name"] = new JsonObject { ["const"] = tool.Name }, [format.ArgumentsKey] = parameters },
                ["required"] = new JsonArray("name", format.ArgumentsKey),
                ["additionalProperties"] = false,
            });
        }
        JsonObject root = new() { ["anyOf"] = branches };
        if (format.CallsInArray)
        {
            root = new JsonObject { ["type"] = "array", ["items"] = root, ["minItems"] = 1 };
            if (!parallel) root["maxItems"] = 1;
        }
        using JsonDocument document = JsonDocument.Parse(root.ToJsonString());
        try
        {
            return JsonSchemaCompiler.Compile(document.RootElement);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"tools: the functions' schemas cannot be combined into one call grammar: {Without(e.Message)}", e);
        }
    }

    private static void CheckCompiles(JsonNode parameters, int index, string name)
    {
        using JsonDocument alone = JsonDocument.Parse(parameters.ToJsonString());
        if (alone.RootElement.ValueKind != JsonValueKind.Object)
            throw new ArgumentException(
                $"tools[{index}].function.parameters of function '{name}': expected a JSON Schema object, found {alone.RootElement.ValueKind}");
        try
        {
            JsonSchemaCompiler.Compile(alone.RootElement);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"tools[{index}].function.parameters of function '{name}': {Without(e.Message)}", e);
        }
    }

    private static string Without(string message) => message.StartsWith(CompilerPrefix, StringComparison.Ordinal) ? message[CompilerPrefix.Length..] : message;

    /// <summary>Points every "$ref": "#..." inside <paramref name="node"/> at the same place under <paramref name="at"/>.</summary>
    private static void RewriteReferences(JsonNode? node, string at)
    {
        switch (node)
        {
            case JsonObject o:
                if (o["$ref"] is JsonValue r && r.TryGetValue(out string? pointer) && pointer.StartsWith('#')) o["$ref"] = at + pointer[1..];
                foreach (var (key, child) in o.ToList())
                {
                    if (key != "$ref") RewriteReferences(child, at);
                }
                break;
            case JsonArray a:
                foreach (JsonNode? item in a) RewriteReferences(item, at);
                break;
        }
    }
}
