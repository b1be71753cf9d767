// The Tokenizer base API (offsets, span encoding, counts, look-ups, streaming decode) on the GGUF tokenizers; not tokenization rules.
using System.Text;
using Quill.TestSupport.Corpora;

namespace Quill.Tokenizers.Tests;

public sealed class TokenizerContractTests
{
    public static TheoryData<string> Kinds => new() { "spm", "bpe" };

    private static ITokenizer Create(string kind) =>
        GgufTokenizerLoader.Create(kind == "spm" ? TestVocabularies.SentencePiece() : TestVocabularies.ByteLevel());

    public static TheoryData<string, string> Texts()
    {
        var data = new TheoryData<string, string>();
        foreach (string kind in (string[])["spm", "bpe"])
        {
            foreach (string text in (string[])["", "hello world", " Megatron loves  🤗 me\n", "é e\u0301 我愛", "\uD800x", "aaaa<|endoftext|>b"])
                data.Add(kind, text);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void OffsetsAreOrderedAndCoverTheTokensBytes(string kind, string text)
    {
        ITokenizer tokenizer = Create(kind);
        EncodedToken[] tokens = tokenizer.EncodeWithOffsets(text, addSpecial: true, parseSpecial: true);
        Assert.Equal(tokenizer.Encode(text, true, true), tokens.Select(t => t.Id));
        int previousEnd = 0;
        foreach (EncodedToken token in tokens)
        {
            Assert.InRange(token.Start, 0, text.Length);
            Assert.InRange(token.End, token.Start, text.Length);
            Assert.True(token.Start >= previousEnd || token.Start < previousEnd && token.End == previousEnd || token.Start == token.End,
                $"token {token} overlaps the one before ending at {previousEnd}");
            previousEnd = Math.Max(previousEnd, token.End);
        }
        // Every input char lies in some token's range (lossless vocabularies).
        var covered = new bool[text.Length];
        foreach (EncodedToken token in tokens) for (int i = token.Start; i < token.End; i++) covered[i] = true;
        Assert.All(covered, Assert.True);
    }

    [Fact]
    public void ByteLevelOffsetsPointAtTheWords()
    {
        ITokenizer tokenizer = Create("bpe");
        const string text = "Megatron loves";
        EncodedToken[] tokens = tokenizer.EncodeWithOffsets(text, addSpecial: false);
        Assert.Equal(["Meg", "atron", " loves"], tokens.Select(t => text[t.Start..t.End]));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EncodeToAndCountAgreeWithEncode(string kind)
    {
        ITokenizer tokenizer = Create(kind);
        foreach (string text in MixedCorpus.Documents(50, seed: 3))
        {
            int[] ids = tokenizer.Encode(text);
            Assert.Equal(ids.Length, tokenizer.CountTokens(text));
            var full = new int[ids.Length + 3];
            Assert.Equal(ids.Length, tokenizer.EncodeTo(text, full));
            Assert.Equal(ids, full[..ids.Length]);
            var shortSpan = new int[Math.Max(0, ids.Length - 2)];
            Assert.Equal(ids.Length, tokenizer.EncodeTo(text, shortSpan));
            Assert.Equal(ids[..shortSpan.Length], shortSpan);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void StreamDecodingEqualsOneShotDecoding(string kind)
    {
        // qwen2 has no clean_spaces: a space clean-up that depends on the next token cannot be undone once streamed.
        ITokenizer tokenizer = kind == "spm" ? Create(kind) : GgufTokenizerLoader.Create(TestVocabularies.ByteLevel("qwen2"));
        foreach (string text in MixedCorpus.Documents(100, seed: 5))
        {
            int[] ids = tokenizer.Encode(text);
            TokenStreamDecoder stream = tokenizer.CreateStreamDecoder();
            var streamed = new StringBuilder();
            foreach (int id in ids)
            {
                string piece = stream.Add(id);
                Assert.False(piece.EndsWith('\uFFFD') && !tokenizer.Decode(ids).Contains('\uFFFD'), $"streamed a partial character for {text}");
                streamed.Append(piece);
            }
            streamed.Append(stream.Flush());
            Assert.Equal(tokenizer.Decode(ids), streamed.ToString());
        }
    }

    [Fact]
    public void LookUpWorksBothWaysAndSpecialsAreKnown()
    {
        ITokenizer tokenizer = Create("bpe");
        int id = tokenizer.TokenToId("Ġloves");
        Assert.True(id >= 0);
        Assert.Equal("Ġloves", tokenizer.TokenText(id));
        Assert.Equal(-1, tokenizer.TokenToId("not-a-token"));
        int end = tokenizer.TokenToId("<|endoftext|>");
        Assert.True(tokenizer.IsSpecial(end));
        Assert.False(tokenizer.IsSpecial(id));
        Assert.Equal(" loves", tokenizer.Decode([id, end], skipSpecialTokens: true));
    }
}
