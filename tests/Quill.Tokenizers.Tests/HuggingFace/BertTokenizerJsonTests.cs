// A BERT tokenizer.json (bert-base-uncased's layout over the built-in vocabulary) against tokenizers.js and our vocab.txt BERT.
using System.Text.Json.Nodes;
using Quill.TestSupport.Oracles;
using Quill.Tokenizers.Pipeline;
using Quill.Tokenizers.WordPiece;

namespace Quill.Tokenizers.Tests.HuggingFace;

public sealed class BertTokenizerJsonTests
{
    private static readonly Lazy<JsonObject> Json = new(BuildJson);

    /// <summary>The stages and settings of bert-base-uncased's tokenizer.json, with BertProcessing as older files have it.</summary>
    private static JsonObject BuildJson()
    {
        PipelineTokenizer vocabTxt = BertTokenizerFactory.BuiltIn("bert-base-uncased");
        var vocab = new JsonObject();
        for (int id = 0; id < vocabTxt.Parts.Model.VocabSize; id++) vocab[vocabTxt.TokenText(id)] = id;
        var added = new JsonArray();
        foreach (string special in (string[])["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
        {
            added.Add(new JsonObject
            {
                ["id"] = vocabTxt.TokenToId(special), ["content"] = special, ["single_word"] = false, ["lstrip"] = false,
                ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
            });
        }
        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = added,
            ["normalizer"] = JsonNode.Parse("""{"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":null""" +
                ""","lowercase":true}"""),
            ["pre_tokenizer"] = JsonNode.Parse("""{"type":"BertPreTokenizer"}"""),
            ["post_processor"] = JsonNode.Parse("""{"type":"BertProcessing","sep":["[SEP]",102],"cls":["[CLS]",101]}"""),
            ["decoder"] = JsonNode.Parse("""{"type":"WordPiece","prefix":"##","cleanup":true}"""),
            ["model"] = new JsonObject
            {
                ["type"] = "WordPiece", ["unk_token"] = "[UNK]", ["continuing_subword_prefix"] = "##", ["max_input_chars_per_word"] = 100, ["vocab"] = vocab,
            },
        };
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Ids_and_decoding_match_tokenizers_js(bool addSpecial)
    {
        PipelineTokenizer tokenizer = TokenizerJsonText.Load(Json.Value);
        string[] texts = Quill.TestSupport.Corpora.MixedCorpus.Documents(2000);
        // tokenizers.js refuses to decode an empty list, which a text of only spaces gives without [CLS]/[SEP].
        var (expected, _, decoded) = NodeOracle.Tokenize(Json.Value, null, texts, addSpecial, decode: addSpecial);
        for (int i = 0; i < texts.Length; i++)
        {
            int[] actual = tokenizer.Encode(texts[i], addSpecial, parseSpecial: true);
            Assert.True(actual.AsSpan().SequenceEqual(expected[i]),
                $"document {i} differs: expected [{string.Join(",", expected[i])}], got [{string.Join(",", actual)}] for \"{texts[i]}\"");
            if (addSpecial) Assert.Equal(decoded[i], tokenizer.Decode(expected[i]));
        }
    }

    [Fact]
    public void Agrees_with_the_vocab_txt_bert_of_the_library()
    {
        PipelineTokenizer fromJson = TokenizerJsonText.Load(Json.Value);
        PipelineTokenizer fromVocab = BertTokenizerFactory.BuiltIn("bert-base-uncased");
        foreach (string text in Quill.TestSupport.Corpora.MixedCorpus.Documents(500))
        {
            Assert.Equal(fromVocab.EncodeWithOffsets(text), fromJson.EncodeWithOffsets(text));
        }
    }
}
