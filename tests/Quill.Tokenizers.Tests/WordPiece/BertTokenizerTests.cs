// Facts about the BERT tokenizers: the MISSION sentence, special-token parsing, offsets, the 100-char rule, bad text; not the oracle comparison.
using Quill.TestSupport.Corpora;
using Quill.Tokenizers.Pipeline;
using Quill.Tokenizers.WordPiece;

namespace Quill.Tokenizers.Tests.WordPiece;

public sealed class BertTokenizerTests
{
    private const string MissionText = "\nMy name is HOLIDAY\n我愛 🤗\n<s> </s> if elif: else: end\nTwo tabs: \"\t\t\" and four spaces: \"    \"\n12.0*12=144\n";

    private static PipelineTokenizer Uncased => BertVocabularies.UncasedTokenizer;

    [Fact]
    public void MissionSentenceGivesHuggingFaceTokens()
    {
        // From tokenizers.js with bert-base-uncased's vocab.txt.
        string[] expected =
        [
            "[CLS]", "my", "name", "is", "holiday", "我", "愛", "[UNK]", "<", "s", ">", "<", "/", "s", ">", "if", "eli", "##f", ":",
            "else", ":", "end", "two", "tab", "##s", ":", "\"", "\"", "and", "four", "spaces", ":", "\"", "\"", "12", ".", "0", "*",
            "12", "=", "144", "[SEP]",
        ];
        int[] ids = Uncased.Encode(MissionText);
        Assert.Equal(expected, ids.Select(Uncased.TokenText));
        Assert.Equal([101, 2026, 2171, 2003, 6209, 1855, 1853, 100, 1026, 1055, 1028], ids[..11]);
    }

    [Theory]
    [InlineData("a [SEP] b", true, "[CLS] a [SEP] b [SEP]")]
    [InlineData("a [SEP] b", false, "[CLS] a [ sep ] b [SEP]")]
    [InlineData("[MASK][PAD]", true, "[CLS] [MASK] [PAD] [SEP]")]
    [InlineData("[mask]", true, "[CLS] [ mask ] [SEP]")]
    public void SpecialTokenStringsAreParsedOnlyWhenAsked(string text, bool parseSpecial, string expected)
    {
        int[] ids = Uncased.Encode(text, addSpecial: true, parseSpecial);
        Assert.Equal(expected, string.Join(' ', ids.Select(Uncased.TokenText)));
    }

    [Theory]
    [InlineData("HÉLLO", "hello", 0, 5)]
    [InlineData("x 我愛", "我", 2, 3)]
    [InlineData("x 我愛", "愛", 3, 4)]
    [InlineData("Cafe\u0301 ok", "ok", 6, 8)]
    [InlineData("\u00A0\u3000Ünïcode", "unicode", 2, 9)]
    [InlineData("a\u0000b", "ab", 0, 3)]
    public void OffsetsPointIntoTheInput(string text, string token, int start, int end)
    {
        EncodedToken[] tokens = Uncased.EncodeWithOffsets(text, addSpecial: false);
        int id = Uncased.TokenToId(token);
        EncodedToken found = Assert.Single(tokens, t => t.Id == id);
        Assert.Equal((start, end), (found.Start, found.End));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EveryTokenNormalizesFromItsInputRange(bool uncased)
    {
        PipelineTokenizer tokenizer = uncased ? Uncased : BertVocabularies.Cased_;
        var normalizer = (BertNormalizer)tokenizer.Parts.Normalizer!;
        var scratch = new NormalizedText();
        int unk = tokenizer.TokenToId("[UNK]");
        foreach (string text in MixedCorpus.Documents(300, seed: 9))
        {
            foreach (EncodedToken token in tokenizer.EncodeWithOffsets(text, addSpecial: false))
            {
                Assert.InRange(token.Start, 0, token.End);
                Assert.InRange(token.End, token.Start, text.Length);
                if (token.Id == unk) continue;
                scratch.Reset(text.AsSpan(token.Start, token.End - token.Start), 0);
                normalizer.Normalize(scratch);
                string spelled = tokenizer.TokenText(token.Id);
                if (spelled.StartsWith("##", StringComparison.Ordinal)) spelled = spelled[2..];
                // One input char can give several tokens (a Hangul syllable → jamo), each covering the whole char.
                Assert.True(scratch.Text.ToString().Trim().Contains(spelled, StringComparison.Ordinal),
                    $"{text}: token '{spelled}' at [{token.Start}, {token.End}) covers '{text[token.Start..token.End]}'");
            }
        }
    }

    [Theory]
    [InlineData(100, false)]
    [InlineData(101, true)]
    public void WordsOverOneHundredCharsAreUnknown(int length, bool unknown)
    {
        string word = string.Concat(Enumerable.Repeat("ab", length / 2)) + (length % 2 == 1 ? "a" : "");
        EncodedToken[] tokens = Uncased.EncodeWithOffsets("x " + word + " y", addSpecial: false);
        bool isUnk = tokens.Length == 3 && tokens[1].Id == Uncased.TokenToId("[UNK]") && (tokens[1].Start, tokens[1].End) == (2, 2 + length);
        Assert.Equal(unknown, isUnk);
    }

    [Theory]
    [InlineData(60, 60)]
    [InlineData(100, 100)]
    [InlineData(101, 1)]
    public void WordLengthIsCountedInCodePoints(int emoji, int expectedTokens)
    {
        var model = new WordPieceModel(["[UNK]", "😀", "##😀"]);
        var output = new TokenBuffer();
        model.Tokenize(string.Concat(Enumerable.Repeat("😀", emoji)), output);
        Assert.Equal(expectedTokens, output.Count);
        Assert.Equal(2 * emoji, output.Ends[^1]);
    }

    [Fact]
    public void UnmatchedRemainderMakesTheWholeWordUnknown()
    {
        var model = new WordPieceModel(["[UNK]", "un", "##aff", "##able"]);
        var output = new TokenBuffer();
        model.Tokenize("unaffable", output);
        Assert.Equal([1, 2, 3], output.Ids.ToArray());
        output.Clear();
        model.Tokenize("unaffablex", output);
        Assert.Equal((0, 0, 10), (output.Ids[0], output.Starts[0], output.Ends[0]));
        Assert.Equal(1, output.Count);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(300)]
    public void LongVocabularyEntriesMatchWhole(int length)
    {
        string longToken = new('q', length);
        var model = new WordPieceModel(["[UNK]", "q", "##q", longToken, "##" + longToken], maxInputCharsPerWord: 1000);
        var output = new TokenBuffer();
        model.Tokenize(new string('q', 2 * length + 1), output);
        Assert.Equal([3, 4, 2], output.Ids.ToArray());
        Assert.Equal(-1, model.TokenToId("qq"));
    }

    [Theory]
    [InlineData("\uD800")]
    [InlineData("abc\uDC00def")]
    [InlineData("\uDBFF\uD800x\uDFFF")]
    [InlineData("\uFFFD\u0000\u200B\uFEFF")]
    public void InvalidUtf16NeverThrows(string text)
    {
        int[] ids = Uncased.Encode(text);
        Assert.Equal(101, ids[0]);
        Assert.Equal(102, ids[^1]);
        Assert.All(ids, id => Assert.InRange(id, 0, Uncased.VocabSize - 1));
    }

    [Fact]
    public void EmptyTextIsClsSepOrNothing()
    {
        Assert.Equal([101, 102], Uncased.Encode(""));
        Assert.Empty(Uncased.Encode("", addSpecial: false));
        Assert.Empty(Uncased.Encode(" \t\n", addSpecial: false));
        Assert.Equal("", Uncased.Decode([]));
    }

    [Fact]
    public void TenMegabytesEncode()
    {
        string text = MixedCorpus.Generate(10 << 20, seed: 3);
        int count = Uncased.CountTokens(text);
        Assert.InRange(count, text.Length / 20, text.Length);
    }

    [Theory]
    [InlineData("Hello, world! Isn't it?", "hello, world! isn't it?")]
    [InlineData("unaffable résumé", "unaffable resume")]
    public void DecodeJoinsContinuations(string text, string expected)
    {
        Assert.Equal(expected, Uncased.Decode(Uncased.Encode(text), skipSpecialTokens: true));
    }

    [Fact]
    public void NormalizerFollowsHuggingFaceSteps()
    {
        Assert.Equal(" 我  愛  ab cafe istanbul", Normalize(new BertNormalizer(), "我愛\tAb\u0007 Café İstanbul"));
        Assert.Equal("Café", Normalize(new BertNormalizer(lowercase: false), "Café"));
        Assert.Equal("Cafe", Normalize(new BertNormalizer(lowercase: false, stripAccents: true), "Café"));
        Assert.Equal("café", Normalize(new BertNormalizer(stripAccents: false), "CAFÉ"));
        Assert.Equal("ᄒ\u1161\u11AB", Normalize(new BertNormalizer(), "한"));
        Assert.Equal("\u0007a\tb", Normalize(new BertNormalizer(cleanText: false, lowercase: false), "\u0007a\tb"));
    }

    [Fact]
    public void PreTokenizerSplitsWhitespaceAndPunctuation()
    {
        var text = new NormalizedText();
        text.Reset("ab,c  d¿e…f$g", 0);
        var pieces = new List<TextPiece> { new(0, text.Length) };
        new BertPreTokenizer().PreTokenize(text, pieces);
        Assert.Equal(["ab", ",", "c", "d", "¿", "e", "…", "f", "$", "g"], pieces.Select(p => text.Text.Slice(p.Start, p.Length).ToString()));
    }

    [Fact]
    public void UnknownBuiltInNameIsRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => BertTokenizerFactory.BuiltIn("bert-large-cased"));
        Assert.Contains("bert-base-uncased", error.Message);
    }

    private static string Normalize(BertNormalizer normalizer, string input)
    {
        var text = new NormalizedText();
        text.Reset(input, 0);
        normalizer.Normalize(text);
        return text.Text.ToString();
    }
}
