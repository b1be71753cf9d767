// BERT tokenization against Hugging Face tokenizers.js on the mixed corpus (uncased and cased); not unit tests of the stages.
using System.Text.Json.Nodes;
using Quill.TestSupport.Corpora;
using Quill.TestSupport.Oracles;
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.Tests.WordPiece;

/// <summary>
/// Ids with and without [CLS]/[SEP] on 3000 short documents and on 1 MB of mixed text in chunks; special-token
/// strings in the text are parsed, as tokenizers.js does. Decoding is compared on the documents.
/// </summary>
public sealed class BertOracleTests
{
    private const int Documents = 3000;
    private const int CorpusBytes = 1 << 20;
    private const int ChunkChars = 4000;

    public static TheoryData<bool, bool> Cases => new() { { true, true }, { true, false }, { false, true }, { false, false } };

    [Theory]
    [MemberData(nameof(Cases))]
    public void DocumentIdsMatchTokenizersJs(bool uncased, bool addSpecial)
    {
        string[] texts = MixedCorpus.Documents(Documents);
        AssertSameIds(uncased, texts, addSpecial);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MegabyteIdsMatchTokenizersJs(bool uncased, bool addSpecial)
    {
        AssertSameIds(uncased, Chunks(MixedCorpus.Generate(CorpusBytes), ChunkChars), addSpecial);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EveryCodePointMatchesTokenizersJs(bool uncased)
    {
        // Each code point alone and between letters: the character tables (categories, case, NFD) meet. Supplementary
        // CJK ideographs are left out: tokenizers.js tests UTF-16 units and never spaces them out; Rust (and we) do.
        var texts = new List<string>();
        var text = new System.Text.StringBuilder();
        for (int cp = 0; cp <= 0x2FFFF; cp++)
        {
            if (cp is >= 0xD800 and <= 0xDFFF || (cp >= 0x10000 && !System.Text.Rune.IsValid(cp))) continue;
            if (System.Text.Rune.GetUnicodeCategory(new System.Text.Rune(cp)) == System.Globalization.UnicodeCategory.OtherNotAssigned) continue;
            if (cp >= 0x10000 && Quill.Tokenizers.WordPiece.BertCharClass.IsChineseChar(cp)) continue;
            text.Append(" a").Append(char.ConvertFromUtf32(cp)).Append("b ").Append(char.ConvertFromUtf32(cp));
            if (text.Length > ChunkChars) { texts.Add(text.ToString()); text.Clear(); }
        }
        texts.Add(text.ToString());
        AssertSameIds(uncased, [.. texts], addSpecial: false);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DecodeMatchesTokenizersJs(bool uncased)
    {
        (PipelineTokenizer tokenizer, JsonObject json) = Setup(uncased);
        string[] texts = MixedCorpus.Documents(500, seed: 5);
        (int[][] ids, _, string[] decoded) = NodeOracle.Tokenize(json, null, texts, addSpecialTokens: true, decode: true);
        for (int i = 0; i < texts.Length; i++)
        {
            string ours = tokenizer.Decode(ids[i]);
            Assert.True(ours == decoded[i], $"text {i} {Show(texts[i])}: decoded {Show(ours)}, tokenizers.js {Show(decoded[i])}");
        }
    }

    [Fact]
    public void MissionSentenceMatchesTokenizersJs()
    {
        const string text = "\nMy name is HOLIDAY\n我愛 🤗\n<s> </s> if elif: else: end\nTwo tabs: \"\t\t\" and four spaces: \"    \"\n12.0*12=144\n";
        (PipelineTokenizer tokenizer, JsonObject json) = Setup(uncased: true);
        (int[][] ids, string[][] tokens, _) = NodeOracle.Tokenize(json, null, [text]);
        Assert.Equal(string.Join(' ', tokens[0]), string.Join(' ', tokenizer.Encode(text).Select(tokenizer.TokenText)));
        Assert.Equal(ids[0], tokenizer.Encode(text));
    }

    private static void AssertSameIds(bool uncased, string[] texts, bool addSpecial)
    {
        (PipelineTokenizer tokenizer, JsonObject json) = Setup(uncased);
        (int[][] expected, string[][] tokens, _) = NodeOracle.Tokenize(json, null, texts, addSpecial);
        for (int i = 0; i < texts.Length; i++)
        {
            int[] actual = tokenizer.Encode(texts[i], addSpecial, parseSpecial: true);
            if (actual.AsSpan().SequenceEqual(expected[i])) continue;
            int at = 0;
            while (at < Math.Min(actual.Length, expected[i].Length) && actual[at] == expected[i][at]) at++;
            string ours = string.Join(' ', actual.Skip(Math.Max(0, at - 3)).Take(8).Select(tokenizer.TokenText));
            string theirs = string.Join(' ', tokens[i].Skip(Math.Max(0, at - 3)).Take(8));
            Assert.Fail($"text {i} {Show(texts[i])}: first difference at token {at}: ours [{ours}], tokenizers.js [{theirs}]");
        }
    }

    private static (PipelineTokenizer Tokenizer, JsonObject Json) Setup(bool uncased) => uncased
        ? (BertVocabularies.UncasedTokenizer, BertVocabularies.TokenizerJson(BertVocabularies.UncasedTokens, lowercase: true))
        : (BertVocabularies.Cased_, BertVocabularies.TokenizerJson(BertVocabularies.CasedTokens, lowercase: false));

    private static string[] Chunks(string text, int size)
    {
        var chunks = new List<string>();
        for (int start = 0; start < text.Length;)
        {
            int end = Math.Min(text.Length, start + size);
            if (end < text.Length && char.IsLowSurrogate(text[end])) end++;
            chunks.Add(text[start..end]);
            start = end;
        }
        return [.. chunks];
    }

    private static string Show(string text) =>
        System.Text.Json.JsonSerializer.Serialize(text.Length > 160 ? text[..160] + "…" : text);
}
