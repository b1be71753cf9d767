// Streaming decode of token bytes: characters split across tokens come out whole; not tokenizer decoding.
using System.Text;
using Quill.Tokenizers.Decoders;

namespace Quill.Tokenizers.Tests.Decoders;

public class Utf8TokenStreamDecoderTests
{
    [Theory]
    [InlineData("héllo 😀 中文", 1)]
    [InlineData("héllo 😀 中文", 2)]
    [InlineData("héllo 😀 中文", 3)]
    [InlineData("😀😀", 5)]
    public void ChunkedBytes_GiveWholeCharactersOnly(string text, int chunk)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        var decoder = new Utf8TokenStreamDecoder();
        var output = new StringBuilder();
        for (int i = 0; i < bytes.Length; i += chunk)
        {
            string piece = decoder.Append(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)));
            Assert.DoesNotContain('\uFFFD', piece);
            output.Append(piece);
        }
        output.Append(decoder.Flush());
        Assert.Equal(text, output.ToString());
    }

    [Fact]
    public void PartialSequence_IsHeldBack_ThenFlushedAsReplacement()
    {
        var decoder = new Utf8TokenStreamDecoder();
        Assert.Equal("a", decoder.Append([(byte)'a', 0xF0, 0x9F]));
        Assert.Equal("\uFFFD", decoder.Flush());
    }

    [Fact]
    public void InvalidByte_IsReplacedAtOnce()
    {
        var decoder = new Utf8TokenStreamDecoder();
        Assert.Equal("\uFFFDb", decoder.Append([0xFF, (byte)'b']));
    }
}
