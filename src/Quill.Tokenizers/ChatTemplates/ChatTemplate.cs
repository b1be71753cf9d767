// A parsed chat template and where templates come from (GGUF metadata, tokenizer_config.json, built-ins); rendering
// is the Jinja interpreter's, with transformers' settings. Not tokenization of the result.
using System.Text.Json;
using System.Text.Json.Nodes;
using Quill.Formats.Gguf;
using Quill.Tokenizers.ChatTemplates.Jinja;

namespace Quill.Tokenizers.ChatTemplates;

/// <summary>
/// A Hugging Face chat template (the Jinja subset @huggingface/jinja and transformers' apply_chat_template accept,
/// trim_blocks and lstrip_blocks on), parsed once and rendered per conversation. Unsupported constructs fail in
/// <see cref="Parse(string, string)"/> with a <see cref="ChatTemplateException"/> naming the construct and line.
/// </summary>
public sealed class ChatTemplate
{
    private readonly List<JinjaNode> _program;
    private readonly string _errorPrefix;

    private ChatTemplate(string source, string? name, List<JinjaNode> program, string errorPrefix, string? bos, string? eos)
    {
        (Source, Name, _program, _errorPrefix, BosToken, EosToken) = (source, name, program, errorPrefix, bos, eos);
    }

    /// <summary>The Jinja source.</summary>
    public string Source { get; }

    /// <summary>Where the template came from (a built-in family, a file), used in error messages; null when not known.</summary>
    public string? Name { get; }

    /// <summary>The text of the model's BOS token, passed to the template as <c>bos_token</c> (null: not passed).</summary>
    public string? BosToken { get; }

    /// <summary>The text of the model's EOS token, passed to the template as <c>eos_token</c> (null: not passed).</summary>
    public string? EosToken { get; }

    /// <summary>The built-in families <see cref="BuiltIn"/> knows.</summary>
    public static IReadOnlyList<string> BuiltInNames => BuiltInChatTemplates.Names;

    /// <summary>Parses <paramref name="source"/>; throws <see cref="ChatTemplateException"/> on syntax errors and unsupported constructs.</summary>
    public static ChatTemplate Parse(string source, string? name = null) => Parse(source, name, null, null);

    private static ChatTemplate Parse(string source, string? name, string? bos, string? eos)
    {
        ArgumentNullException.ThrowIfNull(source);
        string prefix = name is null ? "chat template" : $"chat template '{name}'";
        List<JinjaToken> tokens = JinjaLexer.Tokenize(JinjaSource.Preprocess(source), prefix);
        return new ChatTemplate(source, name, JinjaParser.Parse(tokens, prefix), prefix, bos, eos);
    }

    /// <summary>This template with other BOS/EOS token texts.</summary>
    public ChatTemplate WithSpecialTokens(string? bosToken, string? eosToken) =>
        new(Source, Name, _program, _errorPrefix, bosToken, eosToken);

    /// <summary>
    /// Renders <paramref name="messages"/>: the template sees <c>messages</c> (role, content), <c>add_generation_prompt</c>,
    /// <c>bos_token</c>/<c>eos_token</c> (when known) and <paramref name="variables"/> (e.g. <c>tools</c>, which override the rest).
    /// </summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true, IReadOnlyDictionary<string, object?>? variables = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var context = new Dictionary<string, object?>
        {
            ["messages"] = messages,
            ["add_generation_prompt"] = addGenerationPrompt,
        };
        if (variables is not null)
        {
            foreach (var (key, value) in variables) context[key] = value;
        }
        return RenderContext(context);
    }

    /// <summary>
    /// The token ids of <paramref name="messages"/> rendered (with the generation prompt when asked): special-token text
    /// is parsed, and the tokenizer adds its special tokens (BOS) only when the template has not written BOS itself.
    /// </summary>
    public int[] Encode(IReadOnlyList<ChatMessage> messages, ITokenizer tokenizer, bool addGenerationPrompt = true)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        string rendered = Render(messages, addGenerationPrompt);
        return tokenizer.Encode(rendered, NeedsSpecialTokens(rendered, tokenizer), parseSpecial: true);
    }

    /// <summary>
    /// Whether encoding <paramref name="rendered"/> text should let <paramref name="tokenizer"/> add its special tokens:
    /// false when the text already starts with the BOS token (many templates write <c>bos_token</c>), so BOS is not doubled.
    /// </summary>
    public static bool NeedsSpecialTokens(string rendered, ITokenizer tokenizer) =>
        !(tokenizer.BosId >= 0 && rendered.StartsWith(tokenizer.TokenText(tokenizer.BosId), StringComparison.Ordinal));

    /// <summary>
    /// Renders with exactly the variables in <paramref name="context"/> (plus <c>bos_token</c>/<c>eos_token</c> when it
    /// lacks them): .NET primitives, lists, string-keyed dictionaries, <see cref="JsonNode"/>s and <see cref="ChatMessage"/>s.
    /// </summary>
    public string RenderContext(IReadOnlyDictionary<string, object?> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        JinjaScope scope = JinjaGlobals.Create(() => DateTime.Now);
        if (BosToken is not null) scope.Set("bos_token", BosToken);
        if (EosToken is not null) scope.Set("eos_token", EosToken);
        foreach (var (key, value) in context) scope.Set(key, JinjaValue.FromClr(value));
        return new JinjaInterpreter(_errorPrefix).Render(_program, scope);
    }

    /// <summary>A built-in template: "chatml", "llama2", "llama3", "mistral", "zephyr", "gemma" or "phi3", with that family's BOS/EOS texts.</summary>
    public static ChatTemplate BuiltIn(string family)
    {
        ArgumentNullException.ThrowIfNull(family);
        (string source, string bos, string eos) = BuiltInChatTemplates.Get(family)
            ?? throw new ArgumentException($"chat template: unknown built-in '{family}', expected one of {string.Join(", ", BuiltInNames)}");
        return Parse(source, family.ToLowerInvariant(), bos, eos);
    }

    /// <summary>The template for a model that has none: ChatML, with the model's BOS/EOS texts when given.</summary>
    public static ChatTemplate Fallback(string? bosToken = null, string? eosToken = null) =>
        BuiltIn("chatml").WithSpecialTokens(bosToken ?? "", eosToken ?? "<|im_end|>");

    /// <summary><see cref="Fallback(string?, string?)"/> with <paramref name="tokenizer"/>'s BOS and EOS tokens, where it has them.</summary>
    public static ChatTemplate Fallback(ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return Fallback(
            tokenizer.BosId >= 0 ? tokenizer.TokenText(tokenizer.BosId) : null,
            tokenizer.EosId >= 0 ? tokenizer.TokenText(tokenizer.EosId) : null);
    }

    /// <summary>
    /// The template in <c>tokenizer.chat_template</c> with BOS/EOS texts from <c>tokenizer.ggml.tokens</c> and the
    /// bos/eos ids; null when the file has no template.
    /// </summary>
    public static ChatTemplate? FromGguf(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        string? source = file.GetString("tokenizer.chat_template");
        if (source is null) return null;
        string[]? tokens = file.GetStringArray("tokenizer.ggml.tokens");
        string? Token(string key) => file.GetInt32(key) is int id && tokens is not null && id >= 0 && id < tokens.Length ? tokens[id] : null;
        return Parse(source, Path.GetFileName(file.Path), Token("tokenizer.ggml.bos_token_id"), Token("tokenizer.ggml.eos_token_id"));
    }

    /// <summary>
    /// The template of a tokenizer_config.json: <c>chat_template</c> as a string, or a list of {name, template} (the one
    /// named "default", else the first), else a chat_template.jinja beside the file; null when there is none.
    /// bos_token/eos_token may be strings or {content: ...}. A malformed file throws <see cref="InvalidDataException"/>.
    /// </summary>
    public static ChatTemplate? FromTokenizerConfig(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        JsonObject config = ReadConfig(path);
        string? source = config["chat_template"] switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            JsonArray list => PickNamed(list, path),
            var other => throw Malformed(path, $"\"chat_template\" must be a string or a list of {{name, template}}, found {other.GetValueKind()}"),
        };
        if (source is null)
        {
            string beside = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", "chat_template.jinja");
            if (!File.Exists(beside)) return null;
            source = File.ReadAllText(beside);
        }
        return Parse(source, Path.GetFileName(path), TokenText(config["bos_token"], "bos_token", path), TokenText(config["eos_token"], "eos_token", path));
    }

    private static JsonObject ReadConfig(string path)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw Malformed(path, $"expected JSON, {e.Message.ReplaceLineEndings(" ")}");
        }
        return node as JsonObject ?? throw Malformed(path, $"expected a JSON object, found {node?.GetValueKind().ToString() ?? "null"}");
    }

    private static string PickNamed(JsonArray list, string path)
    {
        JsonObject? chosen = null;
        foreach (JsonNode? item in list)
        {
            if (item is not JsonObject entry || entry["template"]?.GetValueKind() != JsonValueKind.String)
            {
                throw Malformed(path, "\"chat_template\" list entries must be {\"name\": ..., \"template\": \"...\"}");
            }
            chosen ??= entry;
            if (entry["name"]?.GetValueKind() == JsonValueKind.String && entry["name"]!.GetValue<string>() == "default")
            {
                chosen = entry;
                break;
            }
        }
        return chosen?["template"]?.GetValue<string>() ?? throw Malformed(path, "\"chat_template\" is an empty list");
    }

    private static string? TokenText(JsonNode? node, string key, string path) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonObject o when o["content"]?.GetValueKind() == JsonValueKind.String => o["content"]!.GetValue<string>(),
        _ => throw Malformed(path, $"\"{key}\" must be a string or {{\"content\": \"...\"}}, found {node.GetValueKind()}"),
    };

    private static InvalidDataException Malformed(string path, string what) => new($"{path}: {what}");

    public override string ToString() => $"chat template {Name ?? "(unnamed)"}, {Source.Length} characters";
}
