// Encoding and decoding with a handmade byte-level BPE vocabulary, ids worked out by hand; not a llama.cpp comparison.
using static Quill.Tokenizers.Tests.TestVocabularies;

namespace Quill.Tokenizers.Tests.Models;

public class ByteLevelBpeTests
{
    private static readonly ITokenizer Gpt2 = GgufTokenizerLoader.Create(ByteLevel());

    [Fact]
    public void Megatron_SplitsIntoKnownPieces()
    {
        Assert.Equal([Bl("Meg"), Bl("atron"), Bl("Ġloves")], Gpt2.Encode("Megatron loves"));
    }

    [Fact]
    public void EqualRanks_MergeLeftmostFirst()
    {
        Assert.Equal([Bl("aa"), Bl("a")], Gpt2.Encode("aaa"));
    }

    [Fact]
    public void MergeResultNotAToken_FallsBackToSingleCharacters()
    {
        Assert.Equal([Bl("q"), Bl("u")], Gpt2.Encode("qu"));
    }

    [Fact]
    public void NonAscii_IsOneTokenPerByte()
    {
        Assert.Equal([0xC3, 0xA9], Gpt2.Encode("é"));
        Assert.Equal([0x20, 0xF0, 0x9F, 0x98, 0x80], Gpt2.Encode(" 😀"));
    }

    [Theory]
    [InlineData("llama-bpe", true)]
    [InlineData("gpt-2", false)]
    public void IgnoreMerges_WordThatIsAToken_IsKeptWhole(string pre, bool whole)
    {
        ITokenizer tokenizer = GgufTokenizerLoader.Create(ByteLevel(pre, ("xyz", Normal)));
        int[] expected = whole ? [EndOfText + 1] : [Bl("x"), Bl("y"), Bl("z")];
        Assert.Equal(expected, tokenizer.Encode("xyz", addSpecial: false));
    }

    [Fact]
    public void ParseSpecial_EndOfText()
    {
        Assert.Equal([Bl("Meg"), EndOfText, Bl("Meg")], Gpt2.Encode("Meg<|endoftext|>Meg", parseSpecial: true));
        Assert.DoesNotContain(EndOfText, Gpt2.Encode("Meg<|endoftext|>Meg"));
        Assert.True(Gpt2.IsEndOfGeneration(EndOfText));
    }

    [Theory]
    [InlineData("Megatron loves é 😀\n\n  x")]
    [InlineData("tabs\tand\r\nlines")]
    public void RoundTrip(string text)
    {
        Assert.Equal(text, Gpt2.Decode(Gpt2.Encode(text)));
    }

    [Theory]
    [InlineData("gpt-2", "Hi , there . It ' s", "Hi, there. It's")]
    [InlineData("qwen2", "Hi , there . It ' s", "Hi , there . It ' s")]
    public void Decode_CleansSpacesWhereLlamaCppDoes(string pre, string text, string expected)
    {
        ITokenizer tokenizer = GgufTokenizerLoader.Create(ByteLevel(pre));
        Assert.Equal(expected, tokenizer.Decode(tokenizer.Encode(text)));
    }

    [Fact]
    public void TokenBytes_UndoTheByteMapping()
    {
        Assert.Equal(" loves"u8.ToArray(), Gpt2.TokenBytes(Bl("Ġloves")));
        Assert.Equal("Ġloves", Gpt2.TokenText(Bl("Ġloves")));
        Assert.Empty(Gpt2.TokenBytes(EndOfText));
    }

    [Fact]
    public void UnknownPre_ThrowsNamingIt()
    {
        var e = Assert.Throws<InvalidDataException>(() => GgufTokenizerLoader.Create(ByteLevel("no-such-pre")));
        Assert.Contains("no-such-pre", e.Message);
    }
}
