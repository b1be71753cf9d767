// Reads a guard data set (JSONL rows {text, label, lang, kind, split}) such as data/guard/guard.jsonl; not the builder (data/guard/build.py).
using System.Text.Json;

namespace Quill.Safety;

/// <summary>
/// One labelled text. <paramref name="Split"/> is "train" or "test" (held out); <paramref name="Group"/> (the template it
/// was made from, or the hand-written scenario) keeps near-duplicates in one cross-validation fold; <paramref name="Source"/>
/// is the file's name, so that the threshold and the report can hold each file to the target on its own.
/// </summary>
public sealed record GuardExample(string Text, bool Injection, string Language, string Kind, string Split, string Group = "", string Source = "");

/// <summary>JSONL, one object a line; label "injection" or "benign"; lang, kind, split and template optional.</summary>
public static class GuardDataSet
{
    /// <summary>Every row of each file in <paramref name="paths"/>, in order; a bad line fails with its file and number.</summary>
    public static IReadOnlyList<GuardExample> Read(IEnumerable<string> paths) => [.. paths.SelectMany(Read)];

    /// <summary>Every row of <paramref name="path"/>; a bad line fails with its number.</summary>
    public static IReadOnlyList<GuardExample> Read(string path)
    {
        var rows = new List<GuardExample>();
        int number = 0;
        foreach (string line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using JsonDocument doc = JsonDocument.Parse(line);
                JsonElement r = doc.RootElement;
                string text = r.GetProperty("text").GetString() ?? throw new FormatException("'text' is null");
                string label = r.GetProperty("label").GetString() ?? "";
                bool injection = label switch
                {
                    "injection" => true,
                    "benign" => false,
                    _ => throw new FormatException($"'label' must be \"injection\" or \"benign\", found \"{label}\""),
                };
                rows.Add(new GuardExample(text, injection, Optional(r, "lang", "?"), Optional(r, "kind", "?"), Optional(r, "split", "train"),
                    Optional(r, "template", $"row{number}"), Path.GetFileName(path)));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
            {
                throw new InvalidDataException($"{path}:{number}: expected {{\"text\", \"label\", \"lang\", \"kind\", \"split\"}}: {e.Message}", e);
            }
        }
        return rows;
    }

    private static string Optional(JsonElement row, string name, string fallback) =>
        row.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : fallback;
}
