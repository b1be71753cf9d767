// Plain values (numbers, strings, lists, string-keyed dictionaries) as JSON without reflection, so NativeAOT builds keep every member.
using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Quill.Formats;

/// <summary>
/// Builds a <see cref="JsonNode"/> from plain .NET values: null, strings, booleans, integers, floating-point numbers
/// (NaN and infinities become null), enums (their names), JSON nodes, string-keyed dictionaries and sequences of any of
/// these. Unlike <c>JsonSerializer.Serialize(object)</c> it needs no reflection, so trimmed and NativeAOT builds write
/// the same JSON. Anything else throws <see cref="ArgumentException"/> naming its type.
/// </summary>
public static class PlainJson
{
    /// <summary>The JSON of <paramref name="value"/>; compact unless <paramref name="options"/> say otherwise.</summary>
    public static string Serialize(object? value, JsonSerializerOptions? options = null) =>
        ToNode(value)?.ToJsonString(options) ?? "null";

    public static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        JsonNode node => node,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        short or byte or sbyte or ushort or uint => JsonValue.Create(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)),
        ulong u => JsonValue.Create(u),
        double d => double.IsFinite(d) ? JsonValue.Create(d) : null,
        float f => float.IsFinite(f) ? JsonValue.Create(f) : null,
        decimal m => JsonValue.Create(m),
        Enum e => JsonValue.Create(e.ToString()),
        IDictionary dictionary => FromDictionary(dictionary),
        IEnumerable sequence => new JsonArray([.. sequence.Cast<object?>().Select(ToNode)]),
        _ => throw new ArgumentException($"JSON: a value of type {value.GetType().Name} is not a plain value"),
    };

    private static JsonObject FromDictionary(IDictionary dictionary)
    {
        var result = new JsonObject();
        foreach (DictionaryEntry entry in dictionary)
        {
            string key = entry.Key as string ?? throw new ArgumentException($"JSON: dictionary keys must be strings, found {entry.Key.GetType().Name}");
            result[key] = ToNode(entry.Value);
        }
        return result;
    }
}
