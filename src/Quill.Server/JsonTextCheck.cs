// One pass over a request body with Utf8JsonReader that finds strings which are not Unicode text (lone surrogate escapes, bad UTF-8); not parsing.
using System.Text;
using System.Text.Json;

namespace Quill.Server;

/// <summary>
/// System.Text.Json parses <c>"\ud800"</c> as a valid token but throws InvalidOperationException when the string is read,
/// wherever that happens (the serializer, or an endpoint reading a JsonElement), which surfaced as a 500. Quill rejects
/// such a body up front with a 400 that names the field, rather than replacing the escape with U+FFFD as some servers do:
/// a prompt silently changed is worse than a clear error. Structural errors are left to the deserializer.
/// </summary>
internal static class JsonTextCheck
{
    /// <summary>Throws an <see cref="ApiError"/> naming the first string (value or property name) that is not valid Unicode.</summary>
    public static void RequireUnicode(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        var path = new List<Frame>();
        string? property = null;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        path.Add(new Frame(property, reader.TokenType == JsonTokenType.StartArray ? 0 : -1));
                        property = null;
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        path.RemoveAt(path.Count - 1);
                        Advance(path);
                        break;
                    case JsonTokenType.PropertyName:
                        if (!IsText(ref reader)) throw NotText(PathOf(path, "(a property name)"));
                        property = reader.GetString();
                        break;
                    case JsonTokenType.String:
                        if (!IsText(ref reader)) throw NotText(PathOf(path, property));
                        Advance(path);
                        property = null;
                        break;
                    default:
                        Advance(path);
                        property = null;
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON, too deep, truncated: the deserializer answers these with its own 400.
        }
    }

    private static bool IsText(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped) return System.Text.Unicode.Utf8.IsValid(reader.ValueSpan); // a span reader: never a sequence
        try
        {
            reader.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static void Advance(List<Frame> path)
    {
        if (path.Count > 0 && path[^1].Index >= 0) path[^1] = path[^1] with { Index = path[^1].Index + 1 };
    }

    private static string PathOf(List<Frame> path, string? last)
    {
        var s = new StringBuilder();
        for (int i = 1; i < path.Count; i++)
        {
            // Frame i was opened under frame i-1's current property (object) or index (array).
            Append(s, path[i].OpenedUnder, path[i - 1].Index);
        }
        if (path.Count > 0) Append(s, last, path[^1].Index);
        return s.Length == 0 ? "(the body)" : s.ToString();
    }

    private static void Append(StringBuilder s, string? property, int index)
    {
        if (index >= 0) s.Append('[').Append(index).Append(']');
        else if (property is not null) s.Append(s.Length == 0 ? "" : ".").Append(property);
    }

    private static ApiError NotText(string param) => ApiError.BadRequest(
        $"Invalid '{param}': the string is not valid Unicode text (a lone UTF-16 surrogate escape such as \\ud800, or invalid UTF-8); " +
        "send each surrogate escape as part of a pair.", param, "invalid_string");

    /// <summary>An open object (Index -1) or array (Index: the current item), and the property it was opened under.</summary>
    private readonly record struct Frame(string? OpenedUnder, int Index);
}
