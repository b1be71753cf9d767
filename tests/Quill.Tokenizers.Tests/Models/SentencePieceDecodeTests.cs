// Decoding with a handmade SentencePiece vocabulary, as llama_detokenize does it; not a streaming test.
using System.Text;
using static Quill.Tokenizers.Tests.TestVocabularies;

namespace Quill.Tokenizers.Tests.Models;

public class SentencePieceDecodeTests
{
    private static readonly ITokenizer Tokenizer = GgufTokenizerLoader.Create(SentencePiece());

    [Fact]
    public void FirstTokenLosesItsPrefixSpace()
    {
        Assert.Equal("hello world", Tokenizer.Decode([Sp("▁hello"), Sp("▁world")]));
    }

    [Fact]
    public void AfterBos_ThePrefixSpaceStays_AsInLlamaCpp()
    {
        Assert.Equal(" hello world", Tokenizer.Decode([Bos, Sp("▁hello"), Sp("▁world")]));
    }

    [Fact]
    public void ByteTokens_JoinIntoCharacters()
    {
        Assert.Equal("é", Tokenizer.Decode([SpByte(0xC3), SpByte(0xA9)]));
    }

    [Fact]
    public void IncompleteUtf8_BecomesReplacementCharacter()
    {
        Assert.Equal("\uFFFD", Tokenizer.Decode([Sp("▁"), SpByte(0xC3)]));
    }

    [Theory]
    [InlineData(Bos, "")]
    [InlineData(Unknown, "")]
    [InlineData(FirstByte + 0x41, "A")]
    public void TokenBytes_OfSpecialAndByteTokens(int id, string expected)
    {
        Assert.Equal(Encoding.UTF8.GetBytes(expected), Tokenizer.TokenBytes(id));
    }

    [Fact]
    public void TokenBytes_MarkerIsSpace_TokenTextKeepsIt()
    {
        Assert.Equal(" hello"u8.ToArray(), Tokenizer.TokenBytes(Sp("▁hello")));
        Assert.Equal("▁hello", Tokenizer.TokenText(Sp("▁hello")));
        Assert.Equal("<0x0A>", Tokenizer.TokenText(SpByte(0x0A)));
    }

    [Theory]
    [InlineData("hello world")]
    [InlineData("é 😀 hello\nworld")]
    [InlineData("  leading spaces")]
    public void RoundTrip_WithoutSpecialTokens(string text)
    {
        Assert.Equal(text, Tokenizer.Decode(Tokenizer.Encode(text, addSpecial: false)));
    }

    [Fact]
    public void BadId_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.TokenBytes(Tokenizer.VocabSize));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Decode([-1]));
    }
}
