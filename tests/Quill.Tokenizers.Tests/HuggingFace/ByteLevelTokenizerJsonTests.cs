// A GPT-2/RoBERTa-shaped tokenizer.json (ByteLevel pre-tokenizer with its regex, RobertaProcessing) against tokenizers.js; small handmade merges.
using System.Text.Json.Nodes;
using Quill.TestSupport.Oracles;
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.Tests.HuggingFace;

public sealed class ByteLevelTokenizerJsonTests
{
    private static readonly string[] Merges =
    [
        "Ġ t", "h e", "Ġt he", "i n", "Ġ a", "e r", "o n", "Ġ w", "r e", "a t", "Ġ s", "e n", "Ġ o", "Ġ c", "i s", "Ġ Ġ", "ĠĠ ĠĠ",
        "Ġ 1", "1 2", "Ġ1 2", "ä ½", "å ¤", "Ċ Ċ", "Ġa nd", "n d", "Ġw as", "a s", "i t", "Ġ i", "Ġi t", "' s", "Ġ the",
    ];

    private static JsonObject Build(bool addPrefixSpace)
    {
        var vocab = new JsonObject { ["<s>"] = 0, ["</s>"] = 1 };
        int next = 2;
        for (int b = 0; b < 256; b++) vocab[((char)ByteChar(b)).ToString()] = next++;
        foreach (string merge in Merges)
        {
            string joined = merge.Replace(" ", "");
            if (!vocab.ContainsKey(joined)) vocab[joined] = next++;
        }
        string prefix = addPrefixSpace ? "true" : "false";
        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = JsonNode.Parse("""[{"id":0,"content":"<s>","special":true},{"id":1,"content":"</s>","special":true}]"""),
            ["normalizer"] = null,
            ["pre_tokenizer"] = JsonNode.Parse($$"""{"type":"ByteLevel","add_prefix_space":{{prefix}},"trim_offsets":true,"use_regex":true}"""),
            ["post_processor"] = JsonNode.Parse(
                $$"""{"type":"RobertaProcessing","sep":["</s>",1],"cls":["<s>",0],"trim_offsets":true,"add_prefix_space":{{prefix}}}"""),
            ["decoder"] = JsonNode.Parse("""{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true}"""),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = "", ["end_of_word_suffix"] = "",
                ["fuse_unk"] = false, ["vocab"] = vocab, ["merges"] = new JsonArray([.. Merges.Select(m => (JsonNode?)m)]),
            },
        };
    }

    private static int ByteChar(int b) =>
        b is (>= 0x21 and <= 0x7E) or (>= 0xA1 and <= 0xAC) or (>= 0xAE and <= 0xFF) ? b
        : 256 + Enumerable.Range(0, b).Count(x => !(x is (>= 0x21 and <= 0x7E) or (>= 0xA1 and <= 0xAC) or (>= 0xAE and <= 0xFF)));

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void Ids_match_tokenizers_js(bool addPrefixSpace, bool addSpecial)
    {
        JsonObject json = Build(addPrefixSpace);
        PipelineTokenizer tokenizer = TokenizerJsonText.Load(json);
        string[] texts = Quill.TestSupport.Corpora.MixedCorpus.Documents(1000, seed: 3);
        var (expected, _, decoded) = NodeOracle.Tokenize(json, null, texts, addSpecial, decode: addSpecial);
        for (int i = 0; i < texts.Length; i++)
        {
            int[] actual = tokenizer.Encode(texts[i], addSpecial, parseSpecial: true);
            Assert.True(actual.AsSpan().SequenceEqual(expected[i]),
                $"document {i} differs: expected [{string.Join(",", expected[i])}], got [{string.Join(",", actual)}] for \"{texts[i]}\"");
            if (addSpecial) Assert.Equal(decoded[i], tokenizer.Decode(expected[i]));
        }
    }

    [Fact]
    public void Offsets_are_trimmed_of_the_leading_space()
    {
        PipelineTokenizer tokenizer = TokenizerJsonText.Load(Build(addPrefixSpace: false));
        const string text = "is the cat";
        EncodedToken[] tokens = tokenizer.EncodeWithOffsets(text, addSpecial: false);
        Assert.Equal(["is", "the", "c", "at"], tokens.Select(t => text[t.Start..t.End]));
    }
}
