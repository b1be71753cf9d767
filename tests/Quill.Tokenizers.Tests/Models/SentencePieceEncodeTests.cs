// Encoding with a handmade SentencePiece vocabulary, expected ids worked out by hand; not a llama.cpp comparison.
using static Quill.Tokenizers.Tests.TestVocabularies;

namespace Quill.Tokenizers.Tests.Models;

public class SentencePieceEncodeTests
{
    private static readonly ITokenizer Tokenizer = GgufTokenizerLoader.Create(SentencePiece());

    [Fact]
    public void HelloWorld_MergesByScore_WithBos()
    {
        Assert.Equal([Bos, Sp("▁hello"), Sp("▁world")], Tokenizer.Encode("hello world"));
    }

    [Fact]
    public void WithoutAddSpecial_NoBos()
    {
        Assert.Equal([Sp("▁hello"), Sp("▁world")], Tokenizer.Encode("hello world", addSpecial: false));
    }

    [Fact]
    public void EmptyText_IsJustBos()
    {
        Assert.Equal([Bos], Tokenizer.Encode(""));
        Assert.Empty(Tokenizer.Encode("", addSpecial: false));
    }

    [Fact]
    public void DoubleSpace_KeepsALoneMarker()
    {
        Assert.Equal([Sp("▁hello"), Sp("▁"), Sp("▁world")], Tokenizer.Encode("hello  world", addSpecial: false));
    }

    [Theory]
    [InlineData("é", new byte[] { 0xC3, 0xA9 })]
    [InlineData("😀", new byte[] { 0xF0, 0x9F, 0x98, 0x80 })]
    [InlineData("\n", new byte[] { 0x0A })]
    public void UnknownCharacter_FallsBackToByteTokens(string text, byte[] utf8)
    {
        int[] expected = [Sp("▁"), .. utf8.Select(SpByte)];
        Assert.Equal(expected, Tokenizer.Encode(text, addSpecial: false));
    }

    [Fact]
    public void TokenAcrossWords_MergesTheWholeText()
    {
        // "o▁" scores best, so "hello" never forms: the text cannot be merged word by word.
        ITokenizer tokenizer = GgufTokenizerLoader.Create(SentencePiece(("o▁", -0.5f, Normal)));
        int crossWord = FirstByte + 256 + SentencePiecePieces.Length;
        Assert.Equal([Sp("▁"), Sp("he"), Sp("ll"), crossWord, Sp("wor"), Sp("ld")], tokenizer.Encode("hello world", addSpecial: false));
    }

    [Fact]
    public void NoSpacePrefix_MergesTheBareWord()
    {
        ITokenizer tokenizer = GgufTokenizerLoader.Create(SentencePiece() with { AddSpacePrefix = false });
        Assert.Equal([Sp("hello"), Sp("▁world")], tokenizer.Encode("hello world", addSpecial: false));
    }

    [Fact]
    public void AddEos_AppendsEos()
    {
        ITokenizer tokenizer = GgufTokenizerLoader.Create(SentencePiece() with { AddEos = true });
        Assert.Equal([Bos, Sp("▁hello"), Eos], tokenizer.Encode("hello"));
    }

    [Fact]
    public void ParseSpecial_ControlTokenIsOneId_AndTextAfterItGetsASpacePrefix()
    {
        Assert.Equal([Bos, Bos, Sp("▁hello")], Tokenizer.Encode("<s>hello", parseSpecial: true));
    }

    [Fact]
    public void WithoutParseSpecial_ControlTextIsPlainText()
    {
        int[] ids = Tokenizer.Encode("<s>hello", addSpecial: false);
        Assert.DoesNotContain(Bos, ids);
        Assert.Equal([Sp("▁"), SpByte((byte)'<'), SpByte((byte)'s'), SpByte((byte)'>')], ids[..4]);
    }

    [Fact]
    public void UserDefinedToken_IsSplitEvenWithoutParseSpecial()
    {
        ITokenizer tokenizer = GgufTokenizerLoader.Create(SentencePiece(("<tool>", 0, UserDefined)));
        int tool = FirstByte + 256 + SentencePiecePieces.Length;
        Assert.Equal([Sp("▁hello"), tool, Sp("▁hello")], tokenizer.Encode("hello<tool>hello", addSpecial: false));
    }

    [Fact]
    public void SpecialIds_AndEndOfGeneration()
    {
        Assert.Equal(Bos, Tokenizer.BosId);
        Assert.Equal(Eos, Tokenizer.EosId);
        Assert.True(Tokenizer.IsEndOfGeneration(Eos));
        Assert.False(Tokenizer.IsEndOfGeneration(Bos));
        Assert.Equal(FirstByte + 256 + SentencePiecePieces.Length, Tokenizer.VocabSize);
    }

    [Fact]
    public void LoneSurrogate_IsEncodedAsReplacementCharacter()
    {
        int[] expected = [Sp("▁"), SpByte(0xEF), SpByte(0xBF), SpByte(0xBD)];
        Assert.Equal(expected, Tokenizer.Encode("\uD800", addSpecial: false));
    }
}
