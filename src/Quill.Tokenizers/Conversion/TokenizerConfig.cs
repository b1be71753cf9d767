// The parts of tokenizer_config.json a GGUF conversion reads: special token names, add_*_token flags, chat templates; nothing else.
using System.Text.Json;

namespace Quill.Tokenizers.Conversion;

/// <summary>
/// tokenizer_config.json as gguf-py's SpecialVocab reads it: "{type}_token" (a string or an object with "content") and
/// "add_{type}_token" (a bool) for the types bos, eos, unk, sep, pad, cls, mask; "chat_template" as a string or a list of
/// {"name", "template"}. A value of another JSON type is ignored, as the converter does.
/// </summary>
internal sealed class TokenizerConfig
{
    public static readonly string[] SpecialTypes = ["bos", "eos", "unk", "sep", "pad", "cls", "mask"];

    public required string Path { get; init; }

    /// <summary>The token text for each special type that names one.</summary>
    public required Dictionary<string, string> SpecialTokens { get; init; }

    /// <summary>add_{type}_token for each type that sets it.</summary>
    public required Dictionary<string, bool> AddSpecial { get; init; }

    /// <summary>The default template (null when none), and named ones in file order.</summary>
    public string? ChatTemplate { get; init; }

    public required KeyValuePair<string, string>[] NamedChatTemplates { get; init; }

    public static TokenizerConfig Read(string path)
    {
        using JsonDocument document = TokenizerJsonFiles.Parse(path);
        JsonElement root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw TokenizerJsonErrors.Expected(path, "a JSON object", root.ValueKind, "the top level");

        var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
        var add = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (string type in SpecialTypes)
        {
            if (root.TryGetProperty($"add_{type}_token", out JsonElement flag) && flag.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                add[type] = flag.GetBoolean();
            }
            if (!root.TryGetProperty($"{type}_token", out JsonElement token)) continue;
            string? content = token.ValueKind switch
            {
                JsonValueKind.String => token.GetString(),
                JsonValueKind.Object => TokenizerJsonFiles.TryString(token, "content"),
                _ => null,
            };
            if (content is not null) tokens[type] = content;
        }
        // SpecialVocab: a BERT-style config names cls/sep only; they stand in for bos/eos.
        if (!tokens.ContainsKey("bos") && tokens.TryGetValue("cls", out string? cls)) tokens["bos"] = cls;
        if (!tokens.ContainsKey("eos") && tokens.TryGetValue("sep", out string? sep)) tokens["eos"] = sep;

        string? template = null;
        var named = new List<KeyValuePair<string, string>>();
        if (root.TryGetProperty("chat_template", out JsonElement chat))
        {
            switch (chat.ValueKind)
            {
                case JsonValueKind.String:
                    template = chat.GetString();
                    break;
                case JsonValueKind.Array:
                    int i = 0;
                    foreach (JsonElement entry in chat.EnumerateArray())
                    {
                        string? name = entry.ValueKind == JsonValueKind.Object ? TokenizerJsonFiles.TryString(entry, "name") : null;
                        string? text = entry.ValueKind == JsonValueKind.Object ? TokenizerJsonFiles.TryString(entry, "template") : null;
                        if (name is null || text is null)
                        {
                            throw TokenizerJsonErrors.Expected(path, "an object with string \"name\" and \"template\"", entry.ValueKind, $"chat_template[{i}]");
                        }
                        if (name == "default") template = text;
                        else named.Add(new(name, text));
                        i++;
                    }
                    break;
            }
        }
        return new TokenizerConfig { Path = path, SpecialTokens = tokens, AddSpecial = add, ChatTemplate = template, NamedChatTemplates = [.. named] };
    }
}
