// Finds the first string of a parsed JSON document that is not Unicode text, which JsonElement.GetString would throw InvalidOperationException on.
using System.Text.Json;

namespace Quill.Tokenizers;

/// <summary>
/// JsonDocument accepts a lone surrogate escape (<c>"\ud800"</c>) and, in files, invalid UTF-8 inside strings; reading
/// such a string later throws InvalidOperationException far from the input. Loaders call <see cref="FindInvalid"/> first
/// and report the path as bad input instead.
/// </summary>
public static class JsonUnicode
{
    /// <summary>The path (e.g. <c>model.vocab</c>) of the first string or property name that is not valid Unicode, or null.</summary>
    public static string? FindInvalid(JsonElement element) => Find(element, "");

    private static string? Find(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return IsText(element) ? null : path.Length == 0 ? "the top level" : path;
            case JsonValueKind.Object:
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return (path.Length == 0 ? "" : path + ".") + "(a property name)";
                    }
                    if (Find(property.Value, path.Length == 0 ? name : path + "." + name) is { } bad) return bad;
                }
                return null;
            case JsonValueKind.Array:
                int i = 0;
                foreach (JsonElement item in element.EnumerateArray())
                    if (Find(item, $"{path}[{i++}]") is { } bad) return bad;
                return null;
            default:
                return null;
        }
    }

    private static bool IsText(JsonElement element)
    {
        try
        {
            element.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
