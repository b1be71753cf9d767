// A tiny validator for the JSON Schema subset JsonConstraint supports, to check generated output; not a general validator.
using System.Text.Json;

namespace Quill.Tests.Generation.Constraints;

internal static class JsonSchemaValidator
{
    /// <summary>True when <paramref name="value"/> matches <paramref name="schema"/> (refs resolve inside <paramref name="schema"/>).</summary>
    public static bool IsValid(JsonElement schema, JsonElement value) => Matches(schema, schema, value);

    private static bool Matches(JsonElement root, JsonElement schema, JsonElement value)
    {
        if (schema.ValueKind == JsonValueKind.True) return true;
        if (schema.TryGetProperty("$ref", out JsonElement reference)) return Matches(root, Resolve(root, reference.GetString()!), value);
        foreach (string keyword in (string[])["anyOf", "oneOf"])
        {
            if (schema.TryGetProperty(keyword, out JsonElement branches)) return branches.EnumerateArray().Any(b => Matches(root, b, value));
        }
        if (schema.TryGetProperty("const", out JsonElement constant)) return JsonElement.DeepEquals(constant, value);
        if (schema.TryGetProperty("enum", out JsonElement values)) return values.EnumerateArray().Any(v => JsonElement.DeepEquals(v, value));
        if (schema.TryGetProperty("type", out JsonElement type))
        {
            IEnumerable<string> types = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!) : [type.GetString()!];
            if (!types.Any(t => HasType(t, value))) return false;
        }
        return value.ValueKind switch
        {
            JsonValueKind.Object => ObjectMatches(root, schema, value),
            JsonValueKind.Array => ArrayMatches(root, schema, value),
            JsonValueKind.String => StringMatches(schema, value.GetString()!),
            _ => true,
        };
    }

    private static bool HasType(string type, JsonElement value) => type switch
    {
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "string" => value.ValueKind == JsonValueKind.String,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && value.GetRawText().All(c => c is '-' or (>= '0' and <= '9')),
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => value.ValueKind == JsonValueKind.Null,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown type"),
    };

    private static bool ObjectMatches(JsonElement root, JsonElement schema, JsonElement value)
    {
        bool hasProperties = schema.TryGetProperty("properties", out JsonElement properties);
        if (schema.TryGetProperty("required", out JsonElement required) && required.EnumerateArray().Any(r => !value.TryGetProperty(r.GetString()!, out _)))
            return false;
        bool hasExtra = schema.TryGetProperty("additionalProperties", out JsonElement extra);
        foreach (JsonProperty property in value.EnumerateObject())
        {
            if (hasProperties && properties.TryGetProperty(property.Name, out JsonElement propertySchema))
            {
                if (!Matches(root, propertySchema, property.Value)) return false;
            }
            else if (hasExtra && extra.ValueKind == JsonValueKind.False) return false;
            else if (hasExtra && extra.ValueKind == JsonValueKind.Object && !Matches(root, extra, property.Value)) return false;
        }
        return true;
    }

    private static bool ArrayMatches(JsonElement root, JsonElement schema, JsonElement value)
    {
        int count = value.GetArrayLength();
        if (schema.TryGetProperty("minItems", out JsonElement min) && count < min.GetInt32()) return false;
        if (schema.TryGetProperty("maxItems", out JsonElement max) && count > max.GetInt32()) return false;
        return !schema.TryGetProperty("items", out JsonElement items) || value.EnumerateArray().All(v => Matches(root, items, v));
    }

    private static bool StringMatches(JsonElement schema, string text)
    {
        int length = text.EnumerateRunes().Count();
        if (schema.TryGetProperty("minLength", out JsonElement min) && length < min.GetInt32()) return false;
        return !schema.TryGetProperty("maxLength", out JsonElement max) || length <= max.GetInt32();
    }

    private static JsonElement Resolve(JsonElement root, string pointer)
    {
        JsonElement target = root;
        if (pointer == "#") return root;
        foreach (string token in pointer[2..].Split('/')) target = target.GetProperty(token.Replace("~1", "/").Replace("~0", "~"));
        return target;
    }
}
