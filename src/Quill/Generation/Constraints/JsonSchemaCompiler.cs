// Compiles the JSON Schema subset of OpenAI structured outputs into a JsonGrammar.
using System.Diagnostics.CodeAnalysis;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Quill.Generation.Constraints;

/// <summary>
/// Supported: type (one name or an array of names), properties (generated in schema order), required,
/// additionalProperties (false, or absent/true/a schema when there are no properties), enum, const, items,
/// minItems/maxItems, minLength/maxLength, anyOf (oneOf is read as anyOf: the output matches at least one branch),
/// $ref to any pointer inside the document (#, #/$defs/..., #/definitions/...; recursion allowed).
/// Ignored: description, title, default, format, examples, $schema, $id, $comment, strict, deprecated, readOnly,
/// writeOnly, and $defs/definitions themselves. Every other keyword throws <see cref="ArgumentException"/>
/// naming it and its place in the schema. A schema without type, enum, const, anyOf or $ref allows any value.
/// </summary>
internal sealed class JsonSchemaCompiler
{
    private const string Source = "response_format.json_schema";

    private static readonly HashSet<string> Ignored =
    [
        "description", "title", "default", "format", "examples", "$schema", "$id", "$comment", "strict",
        "deprecated", "readOnly", "writeOnly", "$defs", "definitions",
    ];

    private static readonly HashSet<string> Supported =
    [
        "type", "properties", "required", "additionalProperties", "enum", "const", "items", "minItems", "maxItems",
        "minLength", "maxLength", "anyOf", "oneOf", "$ref",
    ];

    private static readonly string[] Structural =
    [
        "type", "properties", "required", "additionalProperties", "enum", "const", "items", "minItems", "maxItems",
        "minLength", "maxLength",
    ];

    private static readonly JsonWriterOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly JsonElement _document;
    private readonly JsonGrammar _grammar = new();
    private readonly Dictionary<string, int> _references = new(StringComparer.Ordinal);
    private int _anyValue = -1;
    private int _plainString = -1;

    private JsonSchemaCompiler(JsonElement document) => _document = document;

    /// <summary>The grammar of the documents <paramref name="schema"/> allows; throws <see cref="ArgumentException"/> for what it cannot express.</summary>
    public static JsonGrammar Compile(JsonElement schema)
    {
        if (Quill.Tokenizers.JsonUnicode.FindInvalid(schema) is { } notText)
            throw new ArgumentException($"schema: the string at {notText} is not valid Unicode text (a lone surrogate escape or invalid UTF-8)");
        var compiler = new JsonSchemaCompiler(schema);
        int root = compiler.CompileSchema(schema, "#");
        compiler._grammar.Seal(root);
        return compiler._grammar;
    }

    private int CompileSchema(JsonElement schema, string path)
    {
        if (schema.ValueKind == JsonValueKind.True) return AnyValue();
        if (schema.ValueKind != JsonValueKind.Object) ThrowExpected("a schema object", Describe(schema), path);
        int id = _grammar.Reserve();
        _grammar.Set(id, CompileObject(schema, path));
        return id;
    }

    private JsonNode CompileObject(JsonElement schema, string path)
    {
        foreach (JsonProperty keyword in schema.EnumerateObject())
        {
            if (!Supported.Contains(keyword.Name) && !Ignored.Contains(keyword.Name)) ThrowUnsupported($"'{keyword.Name}'", path);
        }
        bool hasAnyOf = schema.TryGetProperty("anyOf", out JsonElement anyOf);
        bool hasOneOf = schema.TryGetProperty("oneOf", out JsonElement oneOf);
        if (schema.TryGetProperty("$ref", out JsonElement reference))
        {
            RejectBeside(schema, "$ref", path, hasAnyOf ? "anyOf" : hasOneOf ? "oneOf" : null);
            return new JsonNode { Kind = JsonNodeKind.AnyOf, Alternatives = [Reference(reference, path)] };
        }
        if (hasAnyOf && hasOneOf) ThrowUnsupported("'oneOf' beside 'anyOf'", path);
        if (hasAnyOf || hasOneOf)
        {
            string keyword = hasAnyOf ? "anyOf" : "oneOf";
            RejectBeside(schema, keyword, path, null);
            return Alternatives(hasAnyOf ? anyOf : oneOf, $"{path}/{keyword}");
        }
        if (schema.TryGetProperty("const", out JsonElement constant))
        {
            if (schema.TryGetProperty("enum", out _)) ThrowUnsupported("'enum' beside 'const'", path);
            return JsonGrammar.LiteralNode([Serialize(constant)]);
        }
        if (schema.TryGetProperty("enum", out JsonElement values))
        {
            if (values.ValueKind != JsonValueKind.Array || values.GetArrayLength() == 0) ThrowExpected("a non-empty array", Describe(values), $"{path}/enum");
            return JsonGrammar.LiteralNode(values.EnumerateArray().Select(Serialize));
        }
        if (!schema.TryGetProperty("type", out JsonElement type)) return ForType(InferredType(schema), schema, path);
        if (type.ValueKind == JsonValueKind.String) return ForType(type.GetString()!, schema, path);
        if (type.ValueKind != JsonValueKind.Array || type.GetArrayLength() == 0)
            ThrowExpected("a type name or a non-empty array of them", Describe(type), $"{path}/type");
        var alternatives = new List<int>();
        int index = 0;
        foreach (JsonElement name in type.EnumerateArray())
        {
            if (name.ValueKind != JsonValueKind.String) ThrowExpected("a type name", Describe(name), $"{path}/type/{index}");
            alternatives.Add(_grammar.Add(ForType(name.GetString()!, schema, path)));
            index++;
        }
        return new JsonNode { Kind = JsonNodeKind.AnyOf, Alternatives = [.. alternatives] };
    }

    private static string InferredType(JsonElement schema)
    {
        if (schema.TryGetProperty("properties", out _) || schema.TryGetProperty("required", out _) || schema.TryGetProperty("additionalProperties", out _))
            return "object";
        if (schema.TryGetProperty("items", out _) || schema.TryGetProperty("minItems", out _) || schema.TryGetProperty("maxItems", out _)) return "array";
        if (schema.TryGetProperty("minLength", out _) || schema.TryGetProperty("maxLength", out _)) return "string";
        return "any";
    }

    private JsonNode ForType(string type, JsonElement schema, string path)
    {
        switch (type)
        {
            case "object": return ObjectNode(schema, path);
            case "array": return ArrayNode(schema, path);
            case "string":
                var text = new JsonNode
                {
                    Kind = JsonNodeKind.String, MinLength = Count(schema, "minLength", 0, path),
                    MaxLength = Count(schema, "maxLength", int.MaxValue, path)
                };
                if (text.MinLength > text.MaxLength) ThrowExpected("minLength ≤ maxLength", $"{text.MinLength} > {text.MaxLength}", path);
                return text;
            case "number": return new JsonNode { Kind = JsonNodeKind.Number };
            case "integer": return new JsonNode { Kind = JsonNodeKind.Number, IntegerOnly = true };
            case "boolean": return JsonGrammar.LiteralNode(["true"u8.ToArray(), "false"u8.ToArray()]);
            case "null": return JsonGrammar.LiteralNode(["null"u8.ToArray()]);
            case "any": return new JsonNode { Kind = JsonNodeKind.AnyOf, Alternatives = [AnyValue()] };
            default:
                ThrowExpected("one of object, array, string, number, integer, boolean, null", $"'{type}'", $"{path}/type");
                return null!;
        }
    }

    private JsonNode ObjectNode(JsonElement schema, string path)
    {
        bool hasProperties = schema.TryGetProperty("properties", out JsonElement properties);
        bool hasExtra = schema.TryGetProperty("additionalProperties", out JsonElement extra);
        var required = new HashSet<string>(StringComparer.Ordinal);
        if (schema.TryGetProperty("required", out JsonElement names))
        {
            if (names.ValueKind != JsonValueKind.Array) ThrowExpected("an array of property names", Describe(names), $"{path}/required");
            foreach (JsonElement name in names.EnumerateArray())
            {
                if (name.ValueKind != JsonValueKind.String) ThrowExpected("a property name", Describe(name), $"{path}/required");
                required.Add(name.GetString()!);
            }
        }
        if (!hasProperties)
        {
            if (required.Count > 0) ThrowUnsupported("'required' without 'properties'", path);
            if (hasExtra && extra.ValueKind == JsonValueKind.False) return new JsonNode { Kind = JsonNodeKind.Object };
            int value = hasExtra ? CompileSchema(extra, $"{path}/additionalProperties") : AnyValue();
            return new JsonNode { Kind = JsonNodeKind.Object, FreeKeys = true, FreeValue = value, KeyString = PlainString() };
        }
        if (hasExtra && extra.ValueKind != JsonValueKind.False) ThrowUnsupported("'additionalProperties' other than false beside 'properties'", path);
        if (properties.ValueKind != JsonValueKind.Object) ThrowExpected("an object of property schemas", Describe(properties), $"{path}/properties");
        var keys = new List<byte[]>();
        var values = new List<int>();
        var isRequired = new List<bool>();
        foreach (JsonProperty property in properties.EnumerateObject())
        {
            keys.Add(JsonEncodedQuoted(property.Name));
            values.Add(CompileSchema(property.Value, $"{path}/properties/{PointerToken(property.Name)}"));
            isRequired.Add(required.Remove(property.Name));
        }
        if (required.Count > 0) ThrowExpected("'required' to name listed properties", $"'{required.First()}'", $"{path}/required");
        return new JsonNode { Kind = JsonNodeKind.Object, Keys = [.. keys], Values = [.. values], Required = [.. isRequired] };
    }

    private JsonNode ArrayNode(JsonElement schema, string path)
    {
        int item = AnyValue();
        if (schema.TryGetProperty("items", out JsonElement items))
        {
            if (items.ValueKind == JsonValueKind.Array) ThrowUnsupported("'items' as an array (tuple)", path);
            item = CompileSchema(items, $"{path}/items");
        }
        var node = new JsonNode
        {
            Kind = JsonNodeKind.Array, Item = item,
            MinItems = Count(schema, "minItems", 0, path), MaxItems = Count(schema, "maxItems", int.MaxValue, path),
        };
        if (node.MinItems > node.MaxItems) ThrowExpected("minItems ≤ maxItems", $"{node.MinItems} > {node.MaxItems}", path);
        return node;
    }

    private JsonNode Alternatives(JsonElement list, string path)
    {
        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0) ThrowExpected("a non-empty array of schemas", Describe(list), path);
        var alternatives = new List<int>();
        int index = 0;
        foreach (JsonElement schema in list.EnumerateArray()) alternatives.Add(CompileSchema(schema, $"{path}/{index++}"));
        return new JsonNode { Kind = JsonNodeKind.AnyOf, Alternatives = [.. alternatives] };
    }

    private int Reference(JsonElement reference, string path)
    {
        if (reference.ValueKind != JsonValueKind.String) ThrowExpected("a '$ref' string", Describe(reference), path);
        string pointer = reference.GetString()!;
        if (_references.TryGetValue(pointer, out int known)) return known;
        if (pointer != "#" && !pointer.StartsWith("#/", StringComparison.Ordinal))
            ThrowUnsupported($"'$ref' to '{pointer}' (only #/$defs/... and #/definitions/...)", path);
        JsonElement target = _document;
        foreach (string raw in pointer.Length > 1 ? pointer[2..].Split('/') : [])
        {
            string token = Uri.UnescapeDataString(raw).Replace("~1", "/").Replace("~0", "~");
            bool found = target.ValueKind switch
            {
                JsonValueKind.Object => target.TryGetProperty(token, out target),
                JsonValueKind.Array => int.TryParse(token, out int index) && index >= 0 && index < target.GetArrayLength()
                    && (target = target[index]).ValueKind != JsonValueKind.Undefined,
                _ => false,
            };
            if (!found) ThrowExpected($"'$ref' to name a schema in the document", $"'{pointer}' leads nowhere", path);
        }
        // Register before compiling so that a recursive reference finds this id.
        int id = _grammar.Reserve();
        _references[pointer] = id;
        _grammar.Set(id, new JsonNode { Kind = JsonNodeKind.AnyOf, Alternatives = [CompileSchema(target, pointer)] });
        return id;
    }

    private int AnyValue()
    {
        if (_anyValue < 0) _anyValue = _grammar.AddAnyValue();
        return _anyValue;
    }

    private int PlainString()
    {
        if (_plainString < 0) _plainString = _grammar.Add(new JsonNode { Kind = JsonNodeKind.String });
        return _plainString;
    }

    private static void RejectBeside(JsonElement schema, string keyword, string path, string? also)
    {
        if (also is not null) ThrowUnsupported($"'{also}' beside '{keyword}'", path);
        foreach (string other in Structural)
        {
            if (schema.TryGetProperty(other, out _)) ThrowUnsupported($"'{other}' beside '{keyword}'", path);
        }
    }

    private static int Count(JsonElement schema, string keyword, int absent, string path)
    {
        if (!schema.TryGetProperty(keyword, out JsonElement value)) return absent;
        int count = -1;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out count) || count < 0)
        {
            ThrowExpected("a non-negative integer", Describe(value), $"{path}/{keyword}");
        }
        return count;
    }

    private static byte[] Serialize(JsonElement value)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Compact)) value.WriteTo(writer);
        return buffer.ToArray();
    }

    private static byte[] JsonEncodedQuoted(string name)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Compact)) writer.WriteStringValue(name);
        return buffer.ToArray();
    }

    private static string PointerToken(string name) => name.Replace("~", "~0").Replace("/", "~1");

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"'{value.GetString()}'",
        JsonValueKind.Number => value.GetRawText(),
        _ => value.ValueKind.ToString().ToLowerInvariant(),
    };

    [DoesNotReturn]
    private static void ThrowUnsupported(string what, string path) => throw new ArgumentException($"{Source}: {what} at {path} is not supported");

    [DoesNotReturn]
    private static void ThrowExpected(string expected, string found, string path) =>
        throw new ArgumentException($"{Source}: expected {expected}, found {found} at {path}");
}
