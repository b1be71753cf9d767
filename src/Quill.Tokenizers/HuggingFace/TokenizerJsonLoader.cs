// Loads a Hugging Face tokenizer.json (and tokenizer_config.json) into a PipelineTokenizer; the stages come from StageFactory and ModelFactory.
using System.Text.Json;
using Quill.Tokenizers.HuggingFace.Models;
using Quill.Tokenizers.HuggingFace.PostProcessors;
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.HuggingFace;

/// <summary>
/// Maps each JSON "type" of tokenizer.json to one stage class: normalizer, pre_tokenizer, model (BPE), post_processor,
/// decoder, and added_tokens. tokenizer_config.json supplies the BOS/EOS tokens, clean_up_tokenization_spaces
/// (true when absent, as tokenizers.js and transformers 4 assume) and, for the Llama and Gemma tokenizer classes,
/// add_bos_token/add_eos_token, which transformers turns into the post-processor's template. Every malformed file
/// gives an <see cref="InvalidDataException"/> with one line naming the file, what was expected and where.
/// </summary>
public static class TokenizerJsonLoader
{
    private const string ConfigFileName = "tokenizer_config.json";

    /// <summary>Loads <paramref name="tokenizerJsonPath"/>; the config is read from <paramref name="tokenizerConfigPath"/>, or from tokenizer_config.json
    /// beside the file when that exists.</summary>
    public static PipelineTokenizer Load(string tokenizerJsonPath, string? tokenizerConfigPath = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizerJsonPath);
        if (tokenizerConfigPath is null)
        {
            string beside = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenizerJsonPath)) ?? ".", ConfigFileName);
            if (File.Exists(beside)) tokenizerConfigPath = beside;
        }
        using JsonDocument tokenizer = Parse(File.ReadAllBytes(tokenizerJsonPath), Path.GetFileName(tokenizerJsonPath));
        using JsonDocument? config = tokenizerConfigPath is null ? null : Parse(File.ReadAllBytes(tokenizerConfigPath), Path.GetFileName(tokenizerConfigPath));
        return Build(tokenizer.RootElement, config?.RootElement, Path.GetFileName(tokenizerJsonPath),
            tokenizerConfigPath is null ? ConfigFileName : Path.GetFileName(tokenizerConfigPath));
    }

    /// <summary>Loads from streams; <paramref name="sourceName"/> names the file in error messages.</summary>
    public static PipelineTokenizer Load(Stream tokenizerJson, Stream? tokenizerConfig = null, string sourceName = "tokenizer.json")
    {
        ArgumentNullException.ThrowIfNull(tokenizerJson);
        using JsonDocument tokenizer = Parse(ReadAll(tokenizerJson), sourceName);
        using JsonDocument? config = tokenizerConfig is null ? null : Parse(ReadAll(tokenizerConfig), ConfigFileName);
        return Build(tokenizer.RootElement, config?.RootElement, sourceName, ConfigFileName);
    }

    /// <summary>Loads from parsed documents; <paramref name="sourceName"/> names the file in error messages.</summary>
    public static PipelineTokenizer Load(JsonDocument tokenizerJson, JsonDocument? tokenizerConfig = null, string sourceName = "tokenizer.json")
    {
        ArgumentNullException.ThrowIfNull(tokenizerJson);
        return Build(tokenizerJson.RootElement, tokenizerConfig?.RootElement, sourceName, ConfigFileName);
    }

    private static PipelineTokenizer Build(JsonElement tokenizerRoot, JsonElement? configRoot, string file, string configFile)
    {
        var root = new JsonSection(tokenizerRoot, "", file);
        if (JsonUnicode.FindInvalid(tokenizerRoot) is { } notText) throw new InvalidDataException($"{file}: the string at {notText} is not valid Unicode text");
        if (tokenizerRoot.ValueKind != JsonValueKind.Object) throw root.Error($"expected a JSON object, found {root.Describe()}");
        JsonSection? config = configRoot is { } c ? new JsonSection(c, "", configFile) : null;
        if (configRoot is { } cr && JsonUnicode.FindInvalid(cr) is { } badConfig)
            throw new InvalidDataException($"{configFile}: the string at {badConfig} is not valid Unicode text");
        if (config is { } cfg && cfg.Element.ValueKind != JsonValueKind.Object) throw cfg.Error($"expected a JSON object, found {cfg.Describe()}");

        List<AddedToken> addedTokens = ReadAddedTokens(root);
        var addedByContent = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (AddedToken token in addedTokens) addedByContent.TryAdd(token.Content, token.Id);

        ISubwordModel model = ModelFactory.Create(root.Required("model"), addedByContent);
        foreach (AddedToken token in addedTokens)
        {
            if (token.Id >= model.VocabSize + addedTokens.Count)
            {
                throw root.Error($"expected added token ids below {model.VocabSize + addedTokens.Count}, found {token.Id} for '{token.Content}' in " +
                    $"added_tokens");
            }
        }

        int Resolve(string content) => addedByContent.TryGetValue(content, out int id) ? id : model.TokenToId(content);
        var addedById = addedTokens.ToDictionary(t => t.Id, t => t.Content);
        string? TokenText(int id) => addedById.TryGetValue(id, out string? content) ? content : model.IdToToken(id);
        var factory = new StageFactory(Resolve, TokenText);

        IPostProcessor? postProcessor = root.Optional("post_processor") is { } post ? factory.PostProcessor(post) : null;
        int bosId = config is { } conf1 ? ConfigTokenId(conf1, "bos_token", Resolve) : -1;
        int eosId = config is { } conf2 ? ConfigTokenId(conf2, "eos_token", Resolve) : -1;
        if (config is { } conf3 && TemplateFromConfig(conf3, bosId, eosId) is { } template) postProcessor = template;

        return new PipelineTokenizer(new PipelineParts(model)
        {
            Normalizer = root.Optional("normalizer") is { } normalizer ? factory.Normalizer(normalizer) : null,
            PreTokenizer = root.Optional("pre_tokenizer") is { } pre ? factory.PreTokenizer(pre) : null,
            PostProcessor = postProcessor,
            Decoder = root.Optional("decoder") is { } decoder ? factory.Decoder(decoder) : null,
            AddedTokens = addedTokens,
            CleanUpTokenizationSpaces = config?.Bool("clean_up_tokenization_spaces", true) ?? true,
            BosId = bosId,
            EosId = eosId,
            Source = file,
        });
    }

    private static List<AddedToken> ReadAddedTokens(JsonSection root)
    {
        var tokens = new List<AddedToken>();
        if (root.Optional("added_tokens") is not { } added) return tokens;
        var seen = new HashSet<int>();
        foreach (JsonSection item in added.Items())
        {
            int id = item.Required("id").AsInt();
            string content = item.String("content");
            if (id < 0) throw item.Error($"expected a non-negative token id, found {id}");
            if (content.Length == 0) throw item.Error("expected a non-empty content, found \"\"");
            if (!seen.Add(id)) throw item.Error($"expected unique added token ids, found {id} twice");
            bool special = item.Bool("special", false);
            tokens.Add(new AddedToken(id, content, special, item.Bool("lstrip", false), item.Bool("rstrip", false),
                item.Bool("single_word", false), item.Bool("normalized", !special)));
        }
        return tokens;
    }

    /// <summary>bos_token / eos_token: a string or an AddedToken object with "content".</summary>
    private static int ConfigTokenId(JsonSection config, string name, Func<string, int> resolve)
    {
        if (config.Optional(name) is not { } value) return -1;
        string content = value.Element.ValueKind == JsonValueKind.Object ? value.String("content") : value.AsString();
        return resolve(content);
    }

    /// <summary>
    /// transformers' LlamaTokenizerFast/GemmaTokenizerFast rebuild the template from add_bos_token/add_eos_token
    /// (<c>update_post_processor</c>); other classes keep tokenizer.json's post-processor.
    /// </summary>
    private static TemplatePostProcessor? TemplateFromConfig(JsonSection config, int bosId, int eosId)
    {
        string tokenizerClass = config.Optional("tokenizer_class")?.Element.ValueKind == JsonValueKind.String ? config.String("tokenizer_class") : "";
        bool rebuilds = tokenizerClass is "LlamaTokenizer" or "LlamaTokenizerFast" or "CodeLlamaTokenizer" or "CodeLlamaTokenizerFast"
            or "GemmaTokenizer" or "GemmaTokenizerFast";
        if (!rebuilds || !(config.Has("add_bos_token") || config.Has("add_eos_token"))) return null;
        bool addBos = config.Bool("add_bos_token", true), addEos = config.Bool("add_eos_token", false);
        if (addBos && bosId < 0) throw config.Error("expected bos_token to name a token when add_bos_token is true, found none");
        if (addEos && eosId < 0) throw config.Error("expected eos_token to name a token when add_eos_token is true, found none");
        return new TemplatePostProcessor(addBos ? [bosId] : [], addEos ? [eosId] : []);
    }

    private static JsonDocument Parse(byte[] bytes, string file)
    {
        try
        {
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file}: expected JSON, found a syntax error at line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine
                ?? 0) + 1}");
        }
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }
}
