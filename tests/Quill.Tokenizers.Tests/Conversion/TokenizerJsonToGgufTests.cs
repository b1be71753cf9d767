// What TokenizerJsonToGguf writes for the real npm tokenizer.json files and for small handmade ones, and how it rejects broken input.
using System.Text.Json.Nodes;
using Quill.Formats.Gguf;
using Quill.TestSupport.Oracles;
using Quill.Tokenizers.Conversion;

namespace Quill.Tokenizers.Tests.Conversion;

public sealed class TokenizerJsonToGgufTests : IDisposable
{
    private const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "quill-tokenizer-json-" + Guid.NewGuid().ToString("N"));

    public TokenizerJsonToGgufTests() => Directory.CreateDirectory(_folder);

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    // family, model, pre, token count, bos, eos, unk, pad, add_bos, add_space_prefix
    public static TheoryData<string, string, string, int, int, int, int, int, bool, bool> Families => new()
    {
        { "llama2", "llama", "default", 32000, 1, 2, 0, -1, true, true },
        { "llama3", "gpt2", "llama-bpe", 128256, 128000, 128001, -1, -1, true, false },
        { "qwen3", "gpt2", "qwen2", 151669, 11, 151645, -1, 151643, false, false },
        { "gemma3", "llama", "default", 262145, 2, 106, 3, 0, true, false },
    };

    [Theory]
    [MemberData(nameof(Families))]
    public void RealFiles_HaveTheConvertersModelPreIdsAndFlags(string family, string model, string pre, int count,
        int bos, int eos, int unknown, int padding, bool addBos, bool addSpacePrefix)
    {
        GgufVocabulary v = ConvertedVocabularies.Get(family).Vocabulary;
        Assert.Equal((model, pre, count), (v.Model, v.Pre, v.Tokens.Length));
        Assert.Equal((bos, eos, unknown, padding), (v.BosId, v.EosId, v.UnknownId, v.PaddingId));
        Assert.Equal((addBos, false, addSpacePrefix), (v.AddBos, v.AddEos, v.AddSpacePrefix));
        Assert.Equal(model == "gpt2", v.Merges is not null);
        Assert.Equal(model == "llama", v.Scores is not null);
    }

    [Theory]
    [InlineData("llama2")]
    [InlineData("llama3")]
    [InlineData("qwen3")]
    [InlineData("gemma3")]
    public void RealFiles_ReadBackFromTheGgufAsConverted(string family)
    {
        ConvertedVocabularies.Converted converted = ConvertedVocabularies.Get(family);
        using GgufFile file = GgufFile.Open(converted.Path);
        GgufVocabulary read = GgufTokenizerLoader.ReadVocabulary(file), v = converted.Vocabulary;
        Assert.Equal(v.Tokens, read.Tokens);
        Assert.Equal(v.TokenTypes, read.TokenTypes);
        Assert.Equal(v.Scores, read.Scores);
        Assert.Equal(v.Merges, read.Merges);
        Assert.Equal((v.Model, v.Pre, v.BosId, v.EosId, v.UnknownId, v.PaddingId, v.AddBos, v.AddEos, v.AddSpacePrefix),
            (read.Model, read.Pre, read.BosId, read.EosId, read.UnknownId, read.PaddingId, read.AddBos, read.AddEos, read.AddSpacePrefix));
        Assert.Equal(TokenizerJsonToGguf.Read(NodeOracle.LenmlTokenizerJson(family), NodeOracle.LenmlTokenizerConfig(family)).ChatTemplate,
            file.GetString("tokenizer.chat_template"));
    }

    // family, token text, expected type
    [Theory]
    [InlineData("llama2", "<unk>", Control)]        // an added special token: control, as the converter's added_tokens_decoder pass makes it
    [InlineData("llama2", "<0x0A>", Byte)]
    [InlineData("llama2", "▁the", Normal)]
    [InlineData("qwen3", "<|im_end|>", Control)]
    [InlineData("qwen3", "<think>", UserDefined)]    // added, not special, not <|…|>
    [InlineData("qwen3", "<|fim_prefix|>", Control)] // added, not special, but looks special
    [InlineData("gemma3", "<unused0>", Control)]
    [InlineData("gemma3", "<mask>", Control)]
    [InlineData("gemma3", "[multimodal]", UserDefined)]
    [InlineData("gemma3", "  ", UserDefined)]        // "▁▁" written with spaces
    [InlineData("gemma3", "<start_of_turn>", Control)]
    public void RealFiles_TokenTypes(string family, string text, int type)
    {
        GgufVocabulary v = ConvertedVocabularies.Get(family).Vocabulary;
        int id = Array.IndexOf(v.Tokens, text);
        Assert.True(id >= 0, $"'{text}' is not in the {family} vocabulary");
        Assert.Equal(type, v.TokenTypes![id]);
    }

    [Fact]
    public void RealFiles_ChatTemplateComesFromTheConfig()
    {
        Assert.Contains("<|im_start|>",
            TokenizerJsonToGguf.Read(NodeOracle.LenmlTokenizerJson("qwen3"), NodeOracle.LenmlTokenizerConfig("qwen3")).ChatTemplate);
        Assert.Null(TokenizerJsonToGguf.Read(NodeOracle.LenmlTokenizerJson("llama2"), NodeOracle.LenmlTokenizerConfig("llama2")).ChatTemplate);
    }

    [Fact]
    public void SentencePiece_MergeRankScoresFollowTheMergeOrder_ConstantIsMinus1000()
    {
        string json = Tokenizer(SentencePieceModel(), normalizer: PrependNormalizer());
        float[] ranked = TokenizerJsonToGguf.Convert(json).Scores!;
        float[] constant = TokenizerJsonToGguf.Convert(json, options: new(SentencePieceScores.Constant)).Scores!;
        // ids: <unk> <s> </s> <0x41> ▁ a b ab ▁ab
        Assert.Equal([0f, 0f, 0f, 0f, -3f, -3f, -3f, -1f, -2f], ranked);
        Assert.All(constant, s => Assert.Equal(-1000f, s));
    }

    [Fact]
    public void SentencePiece_TypesIdsAndSpacePrefix()
    {
        string config = Write("config.json",
            new JsonObject { ["bos_token"] = "<s>", ["eos_token"] = new JsonObject { ["content"] = "</s>" }, ["unk_token"] = "<unk>" });
        GgufTokenizerMetadata metadata = TokenizerJsonToGguf.Read(Tokenizer(SentencePieceModel(), normalizer: PrependNormalizer()), config);
        GgufVocabulary v = metadata.Vocabulary;
        Assert.Equal([Control, Control, Control, Byte, Normal, Normal, Normal, Normal, Normal], v.TokenTypes!);
        Assert.Equal((1, 2, 0, true), (v.BosId, v.EosId, v.UnknownId, v.AddSpacePrefix));
        Assert.Equal(["tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type",
            "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.add_space_prefix"],
            metadata.Entries.Select(e => e.Key));
        Assert.False(TokenizerJsonToGguf.Convert(Tokenizer(SentencePieceModel())).AddSpacePrefix);
    }

    [Fact]
    public void ByteLevel_HolesBecomePadTokens_PairMergesKeepSpacesAsU0120_AddedTypes()
    {
        var model = new JsonObject
        {
            ["type"] = "BPE",
            ["vocab"] = new JsonObject { ["a"] = 0, ["b"] = 1, ["ab"] = 3 },
            ["merges"] = new JsonArray(new JsonArray("a", "b"), new JsonArray("a b", "c")),
        };
        var added = new JsonArray(Added(5, "<|end|>", special: false), Added(6, "<x>", special: true), Added(7, "▁hi", special: false));
        GgufVocabulary v = TokenizerJsonToGguf.Convert(Tokenizer(model, added, pre: ByteLevelPre(useRegex: true), decoder: "ByteLevel"));
        Assert.Equal(["a", "b", "[PAD2]", "ab", "[PAD4]", "<|end|>", "<x>", " hi"], v.Tokens);
        Assert.Equal([Normal, Normal, Unused, Normal, Unused, Control, Control, UserDefined], v.TokenTypes!);
        Assert.Equal(["a b", "a\u0120b c"], v.Merges!);
        Assert.Equal(("gpt2", "gpt-2"), (v.Model, v.Pre));
    }

    [Fact]
    public void ByteLevel_VocabularySizePadsTheEnd()
    {
        string json = Tokenizer(new JsonObject { ["type"] = "BPE", ["vocab"] = new JsonObject { ["a"] = 0 }, ["merges"] = new JsonArray() },
            pre: ByteLevelPre(useRegex: true), decoder: "ByteLevel");
        Assert.Equal(["a", "[PAD1]", "[PAD2]"], TokenizerJsonToGguf.Convert(json, options: new(VocabularySize: 3)).Tokens);
        InvalidDataException e = Assert.Throws<InvalidDataException>(() => TokenizerJsonToGguf.Convert(json, options: new(VocabularySize: 0)));
        Assert.StartsWith(json + ": ", e.Message);
    }

    [Fact]
    public void TemplateProcessing_SetsAddBosAndAddEos_ConfigOverrides()
    {
        var post = new JsonObject
        {
            ["type"] = "TemplateProcessing",
            ["single"] = new JsonArray(Special("<s>"), new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A" } }, Special("</s>")),
        };
        string json = Tokenizer(SentencePieceModel(), post: post);
        GgufVocabulary v = TokenizerJsonToGguf.Convert(json);
        Assert.Equal((true, true), (v.AddBos, v.AddEos));
        string config = Write("config.json", new JsonObject { ["bos_token"] = "<s>", ["eos_token"] = "</s>", ["add_eos_token"] = false });
        Assert.Equal((true, false), (TokenizerJsonToGguf.Convert(json, config).AddBos, TokenizerJsonToGguf.Convert(json, config).AddEos));
    }

    [Fact]
    public void NamedChatTemplates_AreWrittenAsTheConverterDoes()
    {
        var templates = new JsonArray(
            new JsonObject { ["name"] = "default", ["template"] = "D" }, new JsonObject { ["name"] = "tool use", ["template"] = "T" });
        string config = Write("config.json", new JsonObject { ["chat_template"] = templates });
        var entries = TokenizerJsonToGguf.Metadata(Tokenizer(SentencePieceModel()), config).ToDictionary(e => e.Key, e => e.Value);
        Assert.Equal("D", entries["tokenizer.chat_template"]);
        Assert.Equal("T", entries["tokenizer.chat_template.tool_use"]);
        Assert.Equal(["tool_use"], (string[])entries["tokenizer.chat_templates"]);
    }

    // file content, words the message must hold
    public static TheoryData<string, string> Malformed => new()
    {
        { "{ \"model\": ", "expected JSON" },
        { "[]", "expected a JSON object, found an array, at the top level" },
        { "{}", "expected \"model\", found nothing" },
        { "{\"model\": 3}", "expected an object, found a number (or one out of range), at model" },
        { "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}", "model.type must be \"BPE\"" },
        { "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": -1}, \"merges\": []}}", "at model.vocab[\"a\"]" },
        { "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 0}, \"merges\": [], \"byte_fallback\": true}}", "both with id 0" },
        { "{\"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": [\"ab\"], \"byte_fallback\": true}}", "at model.merges[0]" },
        { "{\"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": [[\"a\"]], \"byte_fallback\": true}}", "at model.merges[0]" },
        { "{\"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": {}}}", "expected an array, found an object, at model.merges" },
        { "{\"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": [], \"byte_fallback\": true}, \"added_tokens\": [{\"content\": \"x\"}]}",
            "at added_tokens[0]" },
        { "{\"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": [], \"byte_fallback\": true}, \"added_tokens\": [{\"id\": 1}]}", "a string \"content\"" },
        { "{\"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}, \"decoder\": {\"type\": \"WordPiece\"}}", "byte-level BPE" },
        { "{\"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}, \"decoder\": {\"type\": \"ByteLevel\"}, \"pre_tokenizer\": {\"type\": \"Split\", " +
            "\"pattern\": {\"Regex\": \"\\\\d+\"}}}", "pre_tokenizer must be" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedTokenizerJson_ThrowsOneLineNamingTheFile(string content, string expected)
    {
        string path = Path.Combine(_folder, "tokenizer.json");
        File.WriteAllText(path, content);
        InvalidDataException e = Assert.Throws<InvalidDataException>(() => TokenizerJsonToGguf.Convert(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("{\"chat_template\": [{\"name\": \"x\"}]}", "at chat_template[0]")]
    [InlineData("[1]", "at the top level")]
    [InlineData("{\"bos_token\": ", "expected JSON")]
    public void MalformedConfig_ThrowsOneLineNamingTheConfig(string content, string expected)
    {
        string config = Path.Combine(_folder, "tokenizer_config.json");
        File.WriteAllText(config, content);
        InvalidDataException e = Assert.Throws<InvalidDataException>(() => TokenizerJsonToGguf.Convert(Tokenizer(SentencePieceModel()), config));
        Assert.StartsWith(config + ": ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void MissingFile_ThrowsFileNotFound() =>
        Assert.Throws<FileNotFoundException>(() => TokenizerJsonToGguf.Convert(Path.Combine(_folder, "absent.json")));

    private static JsonObject SentencePieceModel() => new()
    {
        ["type"] = "BPE",
        ["byte_fallback"] = true,
        ["unk_token"] = "<unk>",
        ["vocab"] = new JsonObject { ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2, ["<0x41>"] = 3, ["▁"] = 4, ["a"] = 5, ["b"] = 6, ["ab"] = 7, ["▁ab"] = 8 },
        ["merges"] = new JsonArray("a b", "▁ ab"),
    };

    private string Tokenizer(JsonObject model, JsonArray? added = null, JsonObject? normalizer = null, JsonObject? pre = null,
        JsonObject? post = null, string decoder = "Sequence")
    {
        added ??= model["byte_fallback"] is null ? [] : new JsonArray(Added(0, "<unk>", true), Added(1, "<s>", true), Added(2, "</s>", true));
        var root = new JsonObject
        {
            ["added_tokens"] = added,
            ["normalizer"] = normalizer,
            ["pre_tokenizer"] = pre,
            ["post_processor"] = post,
            ["decoder"] = new JsonObject { ["type"] = decoder },
            ["model"] = model,
        };
        return Write("tokenizer-" + Guid.NewGuid().ToString("N") + ".json", root);
    }

    private string Write(string name, JsonNode content)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, content.ToJsonString());
        return path;
    }

    private static JsonObject Added(int id, string content, bool special) => new() { ["id"] = id, ["content"] = content, ["special"] = special };

    private static JsonObject Special(string id) => new() { ["SpecialToken"] = new JsonObject { ["id"] = id } };

    private static JsonObject PrependNormalizer() => new()
    {
        ["type"] = "Sequence",
        ["normalizers"] = new JsonArray(new JsonObject { ["type"] = "Prepend", ["prepend"] = "▁" }),
    };

    private static JsonObject ByteLevelPre(bool useRegex) => new() { ["type"] = "ByteLevel", ["use_regex"] = useRegex };
}
