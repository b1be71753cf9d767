// The BPE model options, post-processors, added tokens and tokenizer_config.json handling on handmade tokenizer.json files.
using System.Text.Json.Nodes;

namespace Quill.Tokenizers.Tests.HuggingFace;

public sealed class ModelAndPostProcessorTests
{
    private static readonly string[] Letters = ["a", "b", "c", "ab", "bc", "abc", "<unk>", "<s>", "</s>"];

    [Fact]
    public void Merges_apply_by_rank_in_either_merge_format()
    {
        var asStrings = TokenizerJsonText.Load(TokenizerJsonText.Bpe(Letters, ["b c", "a bc"]));
        Assert.Equal([5, 0], asStrings.Encode("abca", addSpecial: false));
        JsonObject arrays = TokenizerJsonText.Bpe(Letters, []);
        arrays["model"]!["merges"] = JsonNode.Parse("""[["a","b"],["b","c"]]""");
        Assert.Equal([3, 2], TokenizerJsonText.Load(arrays).Encode("abc", addSpecial: false));
    }

    [Fact]
    public void Unknown_characters_become_unk_fused_or_not()
    {
        var plain = TokenizerJsonText.Load(TokenizerJsonText.Bpe(Letters, [], new JsonObject { ["unk_token"] = "<unk>" }));
        Assert.Equal([0, 6, 6, 1], plain.Encode("axyb", addSpecial: false));
        var fused = TokenizerJsonText.Load(TokenizerJsonText.Bpe(Letters, [], new JsonObject { ["unk_token"] = "<unk>", ["fuse_unk"] = true }));
        Assert.Equal([0, 6, 1], fused.Encode("axyb", addSpecial: false));
        var none = TokenizerJsonText.Load(TokenizerJsonText.Bpe(Letters, []));
        Assert.Equal([0, 1], none.Encode("axyb", addSpecial: false));
    }

    [Fact]
    public void Byte_fallback_spells_unknown_characters_in_utf8_bytes()
    {
        string[] tokens = [.. Letters, "<0xC3>", "<0xA9>"];
        var tokenizer = TokenizerJsonText.Load(TokenizerJsonText.Bpe(tokens, [], new JsonObject { ["unk_token"] = "<unk>", ["byte_fallback"] = true }));
        Assert.Equal([0, 9, 10, 6], tokenizer.Encode("aéü", addSpecial: false)); // ü lacks <0xBC>: unk
        var offsets = tokenizer.EncodeWithOffsets("aé", addSpecial: false);
        Assert.Equal((1, 2), (offsets[1].Start, offsets[1].End));
        Assert.Equal((1, 2), (offsets[2].Start, offsets[2].End));
    }

    [Fact]
    public void Ignore_merges_takes_a_whole_word_from_the_vocabulary()
    {
        string[] tokens = ["a", "b", "c", "ab", "abc"];
        Assert.Equal([3, 2], TokenizerJsonText.Load(TokenizerJsonText.Bpe(tokens, ["a b"])).Encode("abc", addSpecial: false));
        var ignoring = TokenizerJsonText.Load(TokenizerJsonText.Bpe(tokens, ["a b"], new JsonObject { ["ignore_merges"] = true }));
        Assert.Equal([4], ignoring.Encode("abc", addSpecial: false));
    }

    [Fact]
    public void Continuing_subword_prefix_and_end_of_word_suffix()
    {
        string[] tokens = ["a", "##b", "##c</w>", "a##b", "ab", "ab##c</w>", "abc</w>", "c</w>"];
        var prefixed = TokenizerJsonText.Load(TokenizerJsonText.Bpe(tokens, ["a ##b", "ab ##c</w>"],
            new JsonObject { ["continuing_subword_prefix"] = "##", ["end_of_word_suffix"] = "</w>" }));
        Assert.Equal([6], prefixed.Encode("abc", addSpecial: false));
    }

    [Fact]
    public void A_merge_across_a_metaspace_is_kept_when_pieces_are_cut_at_metaspaces()
    {
        string[] tokens = ["a", "b", "c", "▁", "▁b", "a▁b", "c▁b"];
        var tokenizer = TokenizerJsonText.Load(TokenizerJsonText.Bpe(tokens, ["▁ b", "a ▁b"]));
        Assert.Equal([5, 2, 4, 0, 3], tokenizer.Encode("a▁bc▁ba▁", addSpecial: false)); // "a▁b" joins; "c|▁b" is cut
        var offsets = tokenizer.EncodeWithOffsets("c▁ba", addSpecial: false);
        Assert.Equal([(0, 1), (1, 3), (3, 4)], offsets.Select(t => (t.Start, t.End)));
    }

    [Fact]
    public void Template_processing_adds_bos_and_eos_only_with_special_tokens()
    {
        var template = JsonNode.Parse("""
            {"type":"TemplateProcessing",
             "single":[{"SpecialToken":{"id":"<s>","type_id":0}},{"Sequence":{"id":"A","type_id":0}},{"SpecialToken":{"id":"</s>","type_id":0}}],
             "pair":[],"special_tokens":{"<s>":{"id":"<s>","ids":[7],"tokens":["<s>"]},"</s>":{"id":"</s>","ids":[8],"tokens":["</s>"]}}}
            """)!.AsObject();
        var tokenizer = TokenizerJsonText.Load(TokenizerJsonText.Bpe(Letters, [], extra: new JsonObject { ["post_processor"] = template }));
        Assert.Equal([7, 0, 8], tokenizer.Encode("a"));
        Assert.Equal([0], tokenizer.Encode("a", addSpecial: false));
        Assert.Equal((0, 0), (tokenizer.EncodeWithOffsets("a")[0].Start, tokenizer.EncodeWithOffsets("a")[0].End));
    }

    [Fact]
    public void Roberta_processing_wraps_in_cls_and_sep_and_sequence_runs_in_order()
    {
        var roberta = JsonNode.Parse("""{"type":"Sequence","processors":[{"type":"ByteLevel","trim_offsets":false},""" +
            """{"type":"RobertaProcessing","sep":["</s>",8],"cls":["<s>",7],"trim_offsets":true,"add_prefix_space":false}]}""")!.AsObject();
        var tokenizer = TokenizerJsonText.Load(TokenizerJsonText.Bpe(Letters, [], extra: new JsonObject { ["post_processor"] = roberta }));
        Assert.Equal([7, 0, 1, 8], tokenizer.Encode("ab"));
    }

    [Fact]
    public void Byte_level_trim_offsets_leaves_out_leading_spaces()
    {
        string[] tokens = ["Ġ", "a", "Ġa", "b"];
        var extra = new JsonObject
        {
            ["pre_tokenizer"] = JsonNode.Parse("""{"type":"ByteLevel","add_prefix_space":false,"use_regex":true}"""),
            ["post_processor"] = JsonNode.Parse("""{"type":"ByteLevel","trim_offsets":true,"add_prefix_space":false}"""),
        };
        var tokenizer = TokenizerJsonText.Load(TokenizerJsonText.Bpe(tokens, ["Ġ a"], extra: extra));
        var encoded = tokenizer.EncodeWithOffsets("b a", addSpecial: false);
        Assert.Equal([3, 2], encoded.Select(t => t.Id));
        Assert.Equal((2, 3), (encoded[1].Start, encoded[1].End));
    }

    [Fact]
    public void Added_tokens_strip_match_single_words_and_special_ones_only_when_parsed()
    {
        var added = JsonNode.Parse("""
            [{"id":7,"content":"<s>","special":true},{"id":9,"content":"[M]","special":false,"lstrip":true,"rstrip":true},
             {"id":10,"content":"ab","special":false,"single_word":true}]
            """)!;
        var tokenizer = TokenizerJsonText.Load(TokenizerJsonText.Bpe([.. Letters, "[M]", "ab!", " "], [], extra: new JsonObject { ["added_tokens"] = added }));
        Assert.Equal([0, 9, 1], tokenizer.Encode("a  [M]  b", addSpecial: false));
        Assert.Equal([7, 0], tokenizer.Encode("<s>a", addSpecial: false, parseSpecial: true));
        Assert.NotEqual(7, tokenizer.Encode("<s>a", addSpecial: false, parseSpecial: false)[0]);
        Assert.Equal([10, 11, 10], tokenizer.Encode("ab ab", addSpecial: false));
        Assert.Equal([0, 1, 2], tokenizer.Encode("abc", addSpecial: false));
    }

    [Fact]
    public void Config_names_bos_eos_and_rebuilds_the_llama_template()
    {
        var json = TokenizerJsonText.Bpe(Letters, [], extra: new JsonObject
        {
            ["added_tokens"] = JsonNode.Parse("""[{"id":7,"content":"<s>","special":true},{"id":8,"content":"</s>","special":true}]"""),
        });
        var config = JsonNode.Parse("""{"tokenizer_class":"LlamaTokenizer","bos_token":{"content":"<s>"},"eos_token":"</s>","add_bos_token":true""" +
            ""","add_eos_token":true,"clean_up_tokenization_spaces":false}""");
        var tokenizer = TokenizerJsonText.Load(json, config);
        Assert.Equal((7, 8), (tokenizer.BosId, tokenizer.EosId));
        Assert.Equal([7, 0, 8], tokenizer.Encode("a"));
        Assert.False(tokenizer.Parts.CleanUpTokenizationSpaces);
        var qwenLike = TokenizerJsonText.Load(json, JsonNode.Parse("""{"tokenizer_class":"Qwen2Tokenizer","add_bos_token":true,"bos_token":"<s>"}"""));
        Assert.Equal([0], qwenLike.Encode("a"));
        Assert.True(qwenLike.Parts.CleanUpTokenizationSpaces);
    }
}
