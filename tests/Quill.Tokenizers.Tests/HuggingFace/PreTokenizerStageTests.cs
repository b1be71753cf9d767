// Each tokenizer.json pre-tokenizer type on small inputs, expectations from Hugging Face's own tests; not differential.
namespace Quill.Tokenizers.Tests.HuggingFace;

public sealed class PreTokenizerStageTests
{
    private static string[] Run(string json, string input) =>
        TokenizerJsonText.PreTokenize(TokenizerJsonText.Factory().PreTokenizer(TokenizerJsonText.Section(json)), input);

    [Theory]
    [InlineData("Removed", "the|final|countdown")]
    [InlineData("Isolated", "the|-|final|-|-|countdown")]
    [InlineData("MergedWithPrevious", "the-|final-|-|countdown")]
    [InlineData("MergedWithNext", "the|-final|-|-countdown")]
    [InlineData("Contiguous", "the|-|final|--|countdown")]
    public void Split_behaviors(string behavior, string expected)
    {
        string json = $$"""{"type":"Split","pattern":{"String":"-"},"behavior":"{{behavior}}","invert":false}""";
        Assert.Equal(expected.Split('|'), Run(json, "the-final--countdown"));
    }

    [Fact]
    public void Split_with_an_inverted_regex_keeps_the_matches()
    {
        string json = """{"type":"Split","pattern":{"Regex":"\\w+"},"behavior":"Removed","invert":true}""";
        Assert.Equal(["Hey", "you"], Run(json, "Hey, you"));
    }

    [Theory]
    [InlineData(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    [InlineData(@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")]
    public void Known_family_regexes_split_like_the_regex(string pattern)
    {
        string escaped = System.Text.Json.JsonSerializer.Serialize(pattern);
        string json = $$"""{"type":"Split","pattern":{"Regex":{{escaped}}},"behavior":"Isolated","invert":false}""";
        string input = "Hello world's 12345   end\n\n x";
        string[] scanned = Run(json, input);
        var regex = new System.Text.RegularExpressions.Regex(pattern);
        string[] expected = [.. regex.Matches(input).Select(m => m.Value)];
        Assert.Equal(expected, scanned);
    }

    [Fact]
    public void Split_with_a_translated_possessive_regex()
    {
        string json = """{"type":"Split","pattern":{"Regex":"\\p{L}++|\\d"},"behavior":"Isolated","invert":false}""";
        Assert.Equal(["ab", "1", "2", " ", "cd"], Run(json, "ab12 cd"));
    }

    [Fact]
    public void ByteLevel_with_prefix_space_and_regex()
    {
        string json = """{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true}""";
        Assert.Equal(["ĠHello", "Ġmy", "Ġfriend", ",", "Ġhow", "Ġis", "Ġyour", "Ġday", "Ġgoing", "?"],
            Run(json, "Hello my friend, how is your day going?"));
    }

    [Fact]
    public void ByteLevel_prefix_space_can_be_a_word_of_its_own()
    {
        string json = """{"type":"ByteLevel","add_prefix_space":true,"use_regex":true}""";
        Assert.Equal(["Ġ", "Ċ", "it"], Run(json, "\nit"));
    }

    [Fact]
    public void ByteLevel_without_regex_maps_bytes_only()
    {
        string json = """{"type":"ByteLevel","add_prefix_space":false,"use_regex":false}""";
        Assert.Equal(["aĠÃ©Ċ"], Run(json, "a é\n"));
    }

    [Theory]
    [InlineData("always", true, "Hey   friend!", "▁Hey|▁|▁|▁friend!")]
    [InlineData("always", false, "Hey friend!", "▁Hey▁friend!")]
    [InlineData("never", true, "Hey friend!", "Hey|▁friend!")]
    [InlineData("first", true, "Hey friend!", "▁Hey|▁friend!")]
    public void Metaspace(string scheme, bool split, string input, string expected)
    {
        string json = $$"""{"type":"Metaspace","replacement":"▁","prepend_scheme":"{{scheme}}","split":{{(split ? "true" : "false")}}}""";
        Assert.Equal(expected.Split('|'), Run(json, input));
    }

    [Theory]
    [InlineData("""{"type":"Whitespace"}""", "How are you doing?", "How|are|you|doing|?")]
    [InlineData("""{"type":"WhitespaceSplit"}""", "Hey man!\tok", "Hey|man!|ok")]
    [InlineData("""{"type":"Punctuation","behavior":"Isolated"}""", "Hey friend!     How are you?!?", "Hey friend|!|     How are you|?|!|?")]
    [InlineData("""{"type":"Digits","individual_digits":true}""", "Hey 123 friend!", "Hey |1|2|3| friend!")]
    [InlineData("""{"type":"Digits","individual_digits":false}""", "Hey 123 friend!", "Hey |123| friend!")]
    [InlineData("""{"type":"Sequence","pretokenizers":[{"type":"WhitespaceSplit"},{"type":"Digits","individual_digits":true}]}""", "a12 b", "a|1|2|b")]
    public void Character_class_splitters(string json, string input, string expected) =>
        Assert.Equal(expected.Split('|'), Run(json, input));
}
