// Broken tokenizer.json files, one defect each: every one must fail with a one-line InvalidDataException naming it.
using Quill.Tokenizers.HuggingFace.PreTokenizers;

namespace Quill.Tokenizers.Tests.HuggingFace;

public sealed class MalformedTokenizerJsonTests
{
    private const string Vocab = """{"a":0,"b":1,"ab":2}""";

    private static string Model(string vocab = Vocab, string merges = """["a b"]""", string extra = "") =>
        $$"""{"type":"BPE","vocab":{{vocab}},"merges":{{merges}}{{extra}}}""";

    private static string Doc(string rest = "", string? model = null) => "{\"model\":" + (model ?? Model()) + rest + "}";

    public static TheoryData<string, string> Cases => new()
    {
        { "{\"model\": ", "expected JSON, found a syntax error" },
        { "[1, 2]", "expected a JSON object, found an array at the top level" },
        { "{\"version\":\"1.0\"}", "expected a \"model\" setting, found none at the top level" },
        { Doc(""","pre_tokenizer":{"type":"Sequence","pretokenizers":[{"type":"Digits"},{"type":"Foo"}]}"""),
            "unknown pre_tokenizer type 'Foo' at pre_tokenizer.pretokenizers[1]" },
        { Doc(""","normalizer":{"type":"Bar"}"""), "unknown normalizer type 'Bar' at normalizer" },
        { Doc(""","decoder":{"type":"CTC"}"""), "unknown decoder type 'CTC' at decoder" },
        { Doc(""","post_processor":{"type":"Baz"}"""), "unknown post_processor type 'Baz' at post_processor" },
        { """{"model":{"type":"Unigram","vocab":[]}}""", "expected a model type BPE or WordPiece, found 'Unigram' at model" },
        { Doc(model: Model(merges: """["a b c"]""")), "expected a merge \"left right\" with exactly one space, found \"a b c\" at model.merges[0]" },
        { Doc(model: Model(merges: """["a b", ["a"]]""")), "expected a merge as \"left right\" or [left, right], found an array at model.merges[1]" },
        { Doc(model: Model(merges: """["ab"]""")), "with exactly one space, found \"ab\" at model.merges[0]" },
        { Doc(model: Model(vocab: """{"a":0,"b":7}""")), "expected a token id in [0, 2), found 7 at model.vocab.b" },
        { Doc(model: Model(vocab: """{"a":0,"b":0}""")), "expected unique token ids, found 0 for both 'a' and 'b' at model.vocab.b" },
        { Doc(model: Model(vocab: """{"a":0,"a":1}""")), "expected unique token texts, found 'a' twice at model.vocab.a" },
        { Doc(model: Model(vocab: """{"a":0,"b":"x"}""")), "expected a 32-bit integer id, found \"x\" at model.vocab.b" },
        { Doc(model: Model(extra: ",\"dropout\":0.1")), "expected dropout null or 0 (no random merges when encoding), found 0.1 at model" },
        { Doc(""","added_tokens":[{"id":-1,"content":"x"}]"""), "expected a non-negative token id, found -1 at added_tokens[0]" },
        { Doc(""","added_tokens":[{"id":3,"content":"x"},{"id":3,"content":"y"}]"""), "expected unique added token ids, found 3 twice at added_tokens[1]" },
        { Doc(""","added_tokens":[{"id":99999999,"content":"x"}]"""), "expected added token ids below 4, found 99999999" },
        { Doc(""","pre_tokenizer":{"type":"Split","pattern":{"Regex":"\\p{Han}+"},"behavior":"Isolated"}"""),
            "expected a regex without the property \\p{Han} (not translatable to .NET), found /\\p{Han}+/ at pre_tokenizer.pattern.Regex" },
        { Doc(""","pre_tokenizer":{"type":"Split","pattern":{"String":"-"},"behavior":"Sideways"}"""),
            "found 'Sideways' at pre_tokenizer.behavior" },
        { Doc(""","pre_tokenizer":{"type":"Split","pattern":{"Glob":"*"},"behavior":"Isolated"}"""),
            "expected a pattern {\"String\": ...} or {\"Regex\": ...}, found an object at pre_tokenizer.pattern" },
        { Doc(""","post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<x>","type_id":0}}],"special_tokens":{}}"""),
            "expected '<x>' in special_tokens, found no such entry at post_processor.single[0].SpecialToken" },
        { """{"model":{"type":"WordPiece","vocab":{"a":0}""" +
            ""","unk_token":"[UNK]"}}""", "expected the unk_token '[UNK]' in the vocabulary, found no such token at model" },
        { Doc(""","post_processor":{"type":"BertProcessing","sep":["[SEP]",5],"cls":["[CLS]",""" +
            """0]}"""), "expected a token id of the vocabulary, found 5 at post_processor.sep[1]" },
        {
            Doc(""","pre_tokenizer":{"type":"ByteLevel","add_prefix_space":"yes"}"""),
            "expected true or false, found \"yes\" at pre_tokenizer.add_prefix_space"
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fails_with_one_line_naming_the_defect(string json, string expected)
    {
        var error = Assert.Throws<InvalidDataException>(() => TokenizerJsonText.Load(json));
        Assert.StartsWith("tokenizer.json: ", error.Message);
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_vocabulary_claiming_huge_ids_allocates_nothing_for_them()
    {
        var error = Assert.Throws<InvalidDataException>(() => TokenizerJsonText.Load(Doc(model: Model(vocab: """{"a":2000000000}"""))));
        Assert.Contains("expected a token id in [0, 1), found 2000000000", error.Message);
    }

    [Fact]
    public void A_config_that_is_not_json_names_the_config_file()
    {
        string dir = Path.Combine(Path.GetTempPath(), "quill-hfjson-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "tokenizer.json"), Doc());
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), "{oops");
            var error = Assert.Throws<InvalidDataException>(() => Quill.Tokenizers.HuggingFace.TokenizerJsonLoader.Load(Path.Combine(dir, "tokenizer.json")));
            Assert.StartsWith("tokenizer_config.json: expected JSON", error.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(@"a++b", @"(?>a+)b")]
    [InlineData(@"(?:ab)*+c", @"(?>(?:ab)*)c")]
    [InlineData(@"[a-z]?+", @"(?>[a-z]?)")]
    [InlineData(@"(?m:.)", @"(?s:.)")]
    [InlineData(@"\x{20AC}\h", @"\u20AC[\t\x20\xA0\u1680\u180E\u2000-\u200A\u202F\u205F\u3000]")]
    [InlineData(@"\p{L}+?|\P{N}", @"\p{L}+?|\P{N}")]
    public void Oniguruma_constructs_translate(string pattern, string expected) =>
        Assert.Equal(expected, OnigurumaTranslator.TranslateText(pattern, TokenizerJsonText.Section("{}")));

    [Theory]
    [InlineData(@"(?~abc)", "the absent operator")]
    [InlineData(@"[[:alpha:]]", "a POSIX bracket")]
    [InlineData(@"[a-z&&[^q]]", "class intersection")]
    [InlineData(@"\X", @"the escape \X")]
    [InlineData(@"(ab", "an unclosed '('")]
    public void Oniguruma_constructs_without_a_translation_are_named(string pattern, string construct)
    {
        var error = Assert.Throws<InvalidDataException>(() => OnigurumaTranslator.TranslateText(pattern, TokenizerJsonText.Section("{}")));
        Assert.Contains(construct, error.Message);
    }
}
