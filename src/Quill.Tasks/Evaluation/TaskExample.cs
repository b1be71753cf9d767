// One labelled example of a task (classify, ner, qa), read from a JSONL line, with the reply a model should give.
using System.Text.Json;

namespace Quill.Tasks.Evaluation;

/// <summary>A gold entity of a <see cref="TaskExample"/>.</summary>
public sealed record GoldEntity(string Entity, string Word);

/// <summary>
/// A labelled example, one JSON object per line:
/// <c>{"task":"classify","text":…,"labels":[…],"label":…}</c>,
/// <c>{"task":"ner","text":…,"types":[…],"entities":[{"entity":…,"word":…}]}</c> or
/// <c>{"task":"qa","context":…,"question":…,"answer":…}</c>.
/// </summary>
public sealed record TaskExample(string Task, string Text, IReadOnlyList<string> Choices, string? Label, IReadOnlyList<GoldEntity> Entities,
    string? Question)
{
    /// <summary>The tasks a labelled file may hold.</summary>
    public static IReadOnlyList<string> Tasks { get; } = ["classify", "ner", "qa"];

    /// <summary>The examples of a JSONL file; a malformed line throws <see cref="InvalidDataException"/> naming the file and line.</summary>
    public static List<TaskExample> ReadFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        var examples = new List<TaskExample>();
        int number = 0;
        foreach (string line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var document = JsonDocument.Parse(line);
                examples.Add(Parse(document.RootElement));
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
            {
                throw new InvalidDataException($"{path}:{number}: {e.Message.ReplaceLineEndings(" ")}");
            }
        }
        if (examples.Count == 0) throw new InvalidDataException($"{path}: no examples");
        return examples;
    }

    /// <summary>What the model should reply, in the output format the task constrains decoding to.</summary>
    public string Reply => Task switch
    {
        "classify" => Label!,
        "ner" => string.Join("\n", Entities.Select(e => $"{e.Entity}: {e.Word}")),
        _ => Label!,
    };

    private static TaskExample Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new FormatException("expected a JSON object");
        string task = String(root, "task");
        switch (task)
        {
            case "classify":
                string[] labels = Strings(root, "labels");
                string label = String(root, "label");
                if (!labels.Contains(label)) throw new FormatException($"\"label\" '{label}' is not one of \"labels\"");
                return new TaskExample(task, String(root, "text"), labels, label, [], null);
            case "ner":
                string text = String(root, "text");
                string[] types = Strings(root, "types");
                var entities = new List<GoldEntity>();
                foreach (JsonElement entity in Array(root, "entities"))
                {
                    var gold = new GoldEntity(String(entity, "entity"), String(entity, "word"));
                    if (!types.Contains(gold.Entity)) throw new FormatException($"entity type '{gold.Entity}' is not one of \"types\"");
                    if (!text.Contains(gold.Word, StringComparison.Ordinal)) throw new FormatException($"entity '{gold.Word}' is not in the text");
                    entities.Add(gold);
                }
                return new TaskExample(task, text, types, null, entities, null);
            case "qa":
                string context = String(root, "context"), answer = String(root, "answer");
                if (!context.Contains(answer, StringComparison.Ordinal)) throw new FormatException($"answer '{answer}' is not in the context");
                return new TaskExample(task, context, [], answer, [], String(root, "question"));
            default:
                throw new FormatException($"\"task\" must be one of {string.Join(", ", Tasks)}, found '{task}'");
        }
    }

    private static string String(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String && v.GetString()!.Length > 0
            ? v.GetString()!
            : throw new FormatException($"\"{name}\" must be a non-empty string");

    private static JsonElement.ArrayEnumerator Array(JsonElement o, string name) =>
        o.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray()
            : throw new FormatException($"\"{name}\" must be an array");

    private static string[] Strings(JsonElement o, string name)
    {
        string[] values = [.. Array(o, name).Select(v =>
            v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new FormatException($"\"{name}\" must hold strings"))];
        return values.Length > 0 ? values : throw new FormatException($"\"{name}\" is empty");
    }
}
