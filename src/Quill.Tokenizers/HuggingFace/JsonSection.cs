// A located view of one JSON value in tokenizer.json (its path, for error messages) with typed getters.
using System.Text.Json;

namespace Quill.Tokenizers.HuggingFace;

/// <summary>
/// Wraps a <see cref="JsonElement"/> with where it sits ("pre_tokenizer.pretokenizers[1]") and which file it came
/// from, so every malformed setting is reported as one line naming both.
/// </summary>
internal readonly record struct JsonSection(JsonElement Element, string Path, string File)
{
    public bool Has(string name) =>
        Element.ValueKind == JsonValueKind.Object && Element.TryGetProperty(name, out JsonElement value) && value.ValueKind != JsonValueKind.Null;

    public JsonSection? Optional(string name) =>
        Has(name) ? new JsonSection(Element.GetProperty(name), Child(name), File) : null;

    public JsonSection Required(string name) => Optional(name) ?? throw Error($"expected a \"{name}\" setting, found none");

    /// <summary>The "type" of a stage, required.</summary>
    public string Type => Required("type").AsString();

    public string AsString() =>
        Element.ValueKind == JsonValueKind.String ? Element.GetString()! : throw Error($"expected a string, found {Describe()}");

    public string String(string name) => Required(name).AsString();

    public string? OptionalString(string name) => Optional(name)?.AsString();

    public string StringOr(string name, string fallback) => Optional(name)?.AsString() ?? fallback;

    public bool Bool(string name, bool fallback)
    {
        JsonSection? value = Optional(name);
        if (value is null) return fallback;
        return value.Value.Element.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw value.Value.Error($"expected true or false, found {value.Value.Describe()}"),
        };
    }

    public int AsInt() =>
        Element.ValueKind == JsonValueKind.Number && Element.TryGetInt32(out int value) ? value
        : throw Error($"expected a 32-bit integer, found {Describe()}");

    public int Int(string name, int fallback) => Optional(name)?.AsInt() ?? fallback;

    public double? OptionalNumber(string name)
    {
        JsonSection? value = Optional(name);
        if (value is null) return null;
        return value.Value.Element.ValueKind == JsonValueKind.Number ? value.Value.Element.GetDouble()
            : throw value.Value.Error($"expected a number, found {value.Value.Describe()}");
    }

    public int ArrayLength =>
        Element.ValueKind == JsonValueKind.Array ? Element.GetArrayLength() : throw Error($"expected an array, found {Describe()}");

    /// <summary>The items of this array, each located as path[i].</summary>
    public IEnumerable<JsonSection> Items()
    {
        if (Element.ValueKind != JsonValueKind.Array) throw Error($"expected an array, found {Describe()}");
        int index = 0;
        foreach (JsonElement item in Element.EnumerateArray())
        {
            yield return new JsonSection(item, $"{Path}[{index}]", File);
            index++;
        }
    }

    public IEnumerable<JsonSection> Items(string name) => Required(name).Items();

    /// <summary>The properties of this object, each located as path.name.</summary>
    public IEnumerable<(string Name, JsonSection Value)> Properties()
    {
        if (Element.ValueKind != JsonValueKind.Object) throw Error($"expected an object, found {Describe()}");
        foreach (JsonProperty property in Element.EnumerateObject())
        {
            yield return (property.Name, new JsonSection(property.Value, Child(property.Name), File));
        }
    }

    public InvalidDataException Error(string what) => new($"{File}: {what} at {(Path.Length == 0 ? "the top level" : Path)}");

    public string Describe() => Element.ValueKind switch
    {
        JsonValueKind.String => $"\"{Shorten(Element.GetString()!)}\"",
        JsonValueKind.Number => Element.GetRawText(),
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => "null",
    };

    private string Child(string name) => Path.Length == 0 ? name : $"{Path}.{name}";

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
