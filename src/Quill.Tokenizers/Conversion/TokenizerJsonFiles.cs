// The facts a GGUF conversion needs from tokenizer.json and tokenizer_config.json, read with System.Text.Json; the tokenizer itself is TokenizerJsonLoader's.
using System.Text.Json;

namespace Quill.Tokenizers.Conversion;

/// <summary>One entry of tokenizer.json's added_tokens.</summary>
internal readonly record struct AddedTokenEntry(int Id, string Content, bool Special);

/// <summary>
/// tokenizer.json (model vocab and merges, added tokens, the normalizer / pre-tokenizer / post-processor / decoder facts
/// llama.cpp's converter looks at) and, when given, tokenizer_config.json (special token names, add_*_token flags,
/// chat templates). Every shape problem is an <see cref="InvalidDataException"/> naming the file and the JSON path.
/// </summary>
internal sealed class TokenizerJsonFiles
{
    public required string TokenizerPath { get; init; }
    public required string ModelType { get; init; }
    public required bool ByteFallback { get; init; }
    public required Dictionary<string, int> Vocab { get; init; }
    /// <summary>Merges as "left right", spaces inside a part written as U+0120 (what gguf-py's SpecialVocab does).</summary>
    public required string[] Merges { get; init; }
    public required AddedTokenEntry[] AddedTokens { get; init; }
    public string? UnknownToken { get; init; }
    public string? DecoderType { get; init; }
    /// <summary>The Regex of a Split pre-tokenizer (top level or in a Sequence), if any.</summary>
    public string? SplitRegex { get; init; }
    /// <summary>A ByteLevel pre-tokenizer with use_regex true (GPT-2's own split).</summary>
    public bool ByteLevelRegex { get; init; }
    /// <summary>A Prepend("▁") normalizer or a Metaspace pre-tokenizer that prepends: SentencePiece's add_dummy_prefix.</summary>
    public bool PrependsSpace { get; init; }
    /// <summary>The SpecialToken ids at the start and the end of the TemplateProcessing "single" template (null when absent).</summary>
    public string? TemplateFirst { get; init; }
    public string? TemplateLast { get; init; }
    public bool HasTemplate { get; init; }
    /// <summary>tokenizer_config.json, or null when no config was given.</summary>
    public TokenizerConfig? Config { get; init; }

    public static TokenizerJsonFiles Read(string tokenizerJsonPath, string? configPath)
    {
        ArgumentNullException.ThrowIfNull(tokenizerJsonPath);
        using JsonDocument document = Parse(tokenizerJsonPath);
        JsonElement root = document.RootElement;
        string file = tokenizerJsonPath;
        if (root.ValueKind != JsonValueKind.Object) throw TokenizerJsonErrors.Expected(file, "a JSON object", root.ValueKind, "the top level");

        JsonElement model = RequireObject(file, root, "model", "the top level");
        // Old files leave the type out; a model with merges is BPE.
        string type = TryString(model, "type")
            ?? (model.TryGetProperty("merges", out _) ? "BPE" : throw TokenizerJsonErrors.Missing(file, "model.type"));
        if (type != "BPE") throw TokenizerJsonErrors.Unsupported(file, "model.type", $"\"BPE\" (byte-level or with byte_fallback)", $"\"{type}\"");

        var vocab = ReadVocab(file, RequireObject(file, model, "vocab", "model"));
        string[] merges = ReadMerges(file, model);
        AddedTokenEntry[] added = ReadAddedTokens(file, root);

        string? regex = null;
        bool byteLevelRegex = false, prepends = false;
        if (root.TryGetProperty("pre_tokenizer", out JsonElement pre)) ScanPreTokenizer(pre, ref regex, ref byteLevelRegex, ref prepends);
        if (root.TryGetProperty("normalizer", out JsonElement normalizer)) ScanNormalizer(normalizer, ref prepends);

        string? first = null, last = null;
        bool hasTemplate = false;
        if (root.TryGetProperty("post_processor", out JsonElement post)) ScanPostProcessor(post, ref hasTemplate, ref first, ref last);

        string? decoderType = root.TryGetProperty("decoder", out JsonElement decoder) && decoder.ValueKind == JsonValueKind.Object
            ? TryString(decoder, "type") : null;

        return new TokenizerJsonFiles
        {
            TokenizerPath = file,
            ModelType = type,
            ByteFallback = model.TryGetProperty("byte_fallback", out JsonElement fallback) && fallback.ValueKind == JsonValueKind.True,
            Vocab = vocab,
            Merges = merges,
            AddedTokens = added,
            UnknownToken = TryString(model, "unk_token"),
            DecoderType = decoderType,
            SplitRegex = regex,
            ByteLevelRegex = byteLevelRegex,
            PrependsSpace = prepends,
            TemplateFirst = first,
            TemplateLast = last,
            HasTemplate = hasTemplate,
            Config = configPath is null ? null : TokenizerConfig.Read(configPath),
        };
    }

    internal static JsonDocument Parse(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            throw new FileNotFoundException($"{path}: expected a tokenizer file, found nothing", path);
        }
        try
        {
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw TokenizerJsonErrors.NotJson(path, e);
        }
    }

    private static Dictionary<string, int> ReadVocab(string file, JsonElement vocab)
    {
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (JsonProperty entry in vocab.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
            {
                throw TokenizerJsonErrors.Expected(file, "a non-negative integer id", entry.Value.ValueKind, $"model.vocab[\"{entry.Name}\"]");
            }
            map[entry.Name] = id;
        }
        return map;
    }

    private static string[] ReadMerges(string file, JsonElement model)
    {
        if (!model.TryGetProperty("merges", out JsonElement merges) || merges.ValueKind == JsonValueKind.Null) return [];
        if (merges.ValueKind != JsonValueKind.Array) throw TokenizerJsonErrors.Expected(file, "an array", merges.ValueKind, "model.merges");
        var result = new string[merges.GetArrayLength()];
        int i = 0;
        foreach (JsonElement merge in merges.EnumerateArray())
        {
            switch (merge.ValueKind)
            {
                case JsonValueKind.String:
                    string text = merge.GetString()!;
                    int space = text.IndexOf(' ');
                    if (space <= 0 || space == text.Length - 1) throw TokenizerJsonErrors.BadMerge(file, text, i);
                    result[i] = text;
                    break;
                case JsonValueKind.Array when merge.GetArrayLength() == 2
                    && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String:
                    // The pair form (transformers 4.45+) may hold spaces; GGUF merges are space-separated strings.
                    result[i] = EncodeSpaces(merge[0].GetString()!) + " " + EncodeSpaces(merge[1].GetString()!);
                    break;
                default:
                    throw TokenizerJsonErrors.Expected(file, "a \"left right\" string or a [left, right] pair", merge.ValueKind, $"model.merges[{i}]");
            }
            i++;
        }
        return result;
    }

    private static string EncodeSpaces(string part) => part.Contains(' ') ? part.Replace(' ', '\u0120') : part;

    private static AddedTokenEntry[] ReadAddedTokens(string file, JsonElement root)
    {
        if (!root.TryGetProperty("added_tokens", out JsonElement added) || added.ValueKind == JsonValueKind.Null) return [];
        if (added.ValueKind != JsonValueKind.Array) throw TokenizerJsonErrors.Expected(file, "an array", added.ValueKind, "added_tokens");
        var result = new List<AddedTokenEntry>(added.GetArrayLength());
        int i = 0;
        foreach (JsonElement token in added.EnumerateArray())
        {
            string where = $"added_tokens[{i++}]";
            if (token.ValueKind != JsonValueKind.Object) throw TokenizerJsonErrors.Expected(file, "an object", token.ValueKind, where);
            if (!token.TryGetProperty("id", out JsonElement id) || id.ValueKind != JsonValueKind.Number || !id.TryGetInt32(out int value) || value < 0)
            {
                throw TokenizerJsonErrors.Expected(file, "a non-negative integer \"id\"", id.ValueKind, where);
            }
            string content = TryString(token, "content") ?? throw TokenizerJsonErrors.Expected(file, "a string \"content\"",
                token.TryGetProperty("content", out JsonElement c) ? c.ValueKind : JsonValueKind.Undefined, where);
            bool special = token.TryGetProperty("special", out JsonElement s) && s.ValueKind == JsonValueKind.True;
            result.Add(new AddedTokenEntry(value, content, special));
        }
        return [.. result];
    }

    private static void ScanPreTokenizer(JsonElement pre, ref string? regex, ref bool byteLevelRegex, ref bool prepends)
    {
        if (pre.ValueKind != JsonValueKind.Object) return;
        switch (TryString(pre, "type"))
        {
            case "Sequence" when pre.TryGetProperty("pretokenizers", out JsonElement items) && items.ValueKind == JsonValueKind.Array:
                foreach (JsonElement item in items.EnumerateArray()) ScanPreTokenizer(item, ref regex, ref byteLevelRegex, ref prepends);
                break;
            case "Split" when pre.TryGetProperty("pattern", out JsonElement pattern) && pattern.ValueKind == JsonValueKind.Object:
                regex ??= TryString(pattern, "Regex");
                break;
            case "ByteLevel":
                byteLevelRegex |= !pre.TryGetProperty("use_regex", out JsonElement useRegex) || useRegex.ValueKind != JsonValueKind.False;
                break;
            case "Metaspace":
                string? scheme = TryString(pre, "prepend_scheme");
                prepends |= scheme is "always" or "first"
                    || (scheme is null && pre.TryGetProperty("add_prefix_space", out JsonElement add) && add.ValueKind == JsonValueKind.True);
                break;
        }
    }

    private static void ScanNormalizer(JsonElement normalizer, ref bool prepends)
    {
        if (normalizer.ValueKind != JsonValueKind.Object) return;
        switch (TryString(normalizer, "type"))
        {
            case "Sequence" when normalizer.TryGetProperty("normalizers", out JsonElement items) && items.ValueKind == JsonValueKind.Array:
                foreach (JsonElement item in items.EnumerateArray()) ScanNormalizer(item, ref prepends);
                break;
            case "Prepend":
                prepends |= TryString(normalizer, "prepend") == "\u2581";
                break;
        }
    }

    private static void ScanPostProcessor(JsonElement post, ref bool hasTemplate, ref string? first, ref string? last)
    {
        if (post.ValueKind != JsonValueKind.Object) return;
        switch (TryString(post, "type"))
        {
            case "Sequence" when post.TryGetProperty("processors", out JsonElement items) && items.ValueKind == JsonValueKind.Array:
                foreach (JsonElement item in items.EnumerateArray()) ScanPostProcessor(item, ref hasTemplate, ref first, ref last);
                break;
            case "TemplateProcessing" when post.TryGetProperty("single", out JsonElement single) && single.ValueKind == JsonValueKind.Array:
                hasTemplate = true;
                int length = single.GetArrayLength();
                if (length > 1)
                {
                    first = SpecialTokenId(single[0]);
                    last = SpecialTokenId(single[length - 1]);
                }
                break;
        }
    }

    private static string? SpecialTokenId(JsonElement piece) =>
        piece.ValueKind == JsonValueKind.Object && piece.TryGetProperty("SpecialToken", out JsonElement special)
            && special.ValueKind == JsonValueKind.Object ? TryString(special, "id") : null;

    internal static string? TryString(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static JsonElement RequireObject(string file, JsonElement parent, string name, string where)
    {
        if (!parent.TryGetProperty(name, out JsonElement value)) throw TokenizerJsonErrors.Missing(file, where == "the top level" ? name : where + "." + name);
        if (value.ValueKind != JsonValueKind.Object)
            throw TokenizerJsonErrors.Expected(file, "an object", value.ValueKind, where == "the top level" ? name : where + "." + name);
        return value;
    }
}
