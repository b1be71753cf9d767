// Checks the streaming UTF-8 decoder against .NET's one-shot decoder over every split; not tokenizer decoding.
using System.Text;
using Quill.Tokenizers.Decoders;

namespace Quill.Tokenizers.Tests.Decoders;

public class Utf8TokenStreamDecoderTests
{
    // Decodes the pieces one by one into exactly-sized buffers (so MaxCharCount is checked too), then flushes.
    private static string DecodeInPieces(IEnumerable<byte[]> pieces)
    {
        var decoder = new Utf8TokenStreamDecoder();
        var text = new StringBuilder();
        foreach (byte[] piece in pieces)
        {
            var chars = new char[Utf8TokenStreamDecoder.MaxCharCount(piece.Length)];
            text.Append(chars, 0, decoder.Decode(piece, chars));
        }
        var last = new char[1];
        text.Append(last, 0, decoder.Flush(last));
        return text.ToString();
    }

    private static string Decode(Utf8TokenStreamDecoder decoder, byte[] bytes)
    {
        var chars = new char[Utf8TokenStreamDecoder.MaxCharCount(bytes.Length)];
        return new string(chars, 0, decoder.Decode(bytes, chars));
    }

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
            string piece = Decode(decoder, bytes[i..Math.Min(bytes.Length, i + chunk)]);
            Assert.DoesNotContain('\uFFFD', piece);
            output.Append(piece);
        }
        var last = new char[1];
        output.Append(last, 0, decoder.Flush(last));
        Assert.Equal(text, output.ToString());
    }

    [Fact]
    public void PartialSequence_IsHeldBack_ThenFlushedAsReplacement()
    {
        var decoder = new Utf8TokenStreamDecoder();
        Assert.Equal("a", Decode(decoder, [(byte)'a', 0xF0, 0x9F]));
        var last = new char[1];
        Assert.Equal(1, decoder.Flush(last));
        Assert.Equal('\uFFFD', last[0]);
    }

    [Fact]
    public void InvalidByte_IsReplacedAtOnce()
    {
        Assert.Equal("\uFFFDb", Decode(new Utf8TokenStreamDecoder(), [0xFF, (byte)'b']));
    }

    [Fact]
    public void Reset_ForgetsHeldBackBytes()
    {
        var decoder = new Utf8TokenStreamDecoder();
        Assert.Equal("", Decode(decoder, [0xE2, 0x82]));
        decoder.Reset();
        Assert.False(decoder.HasPending);
        Assert.Equal("A", Decode(decoder, [(byte)'A']));
    }

    [Fact]
    public void TwoByteCharacterSplitAcrossPiecesComesOutOnceWhole()
    {
        var decoder = new Utf8TokenStreamDecoder();
        var chars = new char[2];
        Assert.Equal(0, decoder.Decode([0xC3], chars)); // first byte of "é": held back
        Assert.True(decoder.HasPending);
        Assert.Equal(1, decoder.Decode([0xA9], chars));
        Assert.Equal('é', chars[0]);
        Assert.False(decoder.HasPending);
    }

    [Fact]
    public void FourByteCharacterBecomesASurrogatePair()
    {
        Assert.Equal("🤗", DecodeInPieces([[0xF0], [0x9F, 0xA4], [0x97]]));
    }

    public static TheoryData<byte[]> Inputs => new()
    {
        Encoding.UTF8.GetBytes("\nMy name is HOLIDAY\n我愛 🤗\n<s> </s> if elif"),
        new byte[] { 0xC3 },                         // truncated at the end
        new byte[] { 0xE2, 0x82, 0x41 },             // broken 3-byte sequence, then 'A'
        new byte[] { 0xC0, 0xAF, 0xE0, 0x80, 0xAF }, // overlong forms
        new byte[] { 0xED, 0xA0, 0x80, 0x41 },       // encoded surrogate
        new byte[] { 0xF4, 0x90, 0x80, 0x80 },       // past U+10FFFF
        new byte[] { 0xF0, 0x9F, 0xA4, 0xF0, 0x9F, 0xA4, 0x97 }, // a dangling start before a whole emoji
        new byte[] { 0x80, 0xBF, 0xFE, 0xFF, 0x61 },
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void EverySplitDecodesLikeEncodingUtf8(byte[] bytes)
    {
        string expected = Encoding.UTF8.GetString(bytes);
        Assert.Equal(expected, DecodeInPieces([bytes]));
        Assert.Equal(expected, DecodeInPieces(bytes.Select(b => new[] { b })));
        for (int cut = 0; cut <= bytes.Length; cut++) Assert.Equal(expected, DecodeInPieces([bytes[..cut], bytes[cut..]]));
    }

    [Fact]
    public void RandomBytesInRandomPiecesDecodeLikeEncodingUtf8()
    {
        const int Cases = 2000;
        var random = new Random(1234);
        byte[] alphabet = [0x41, 0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC2, 0xC3, 0xDF, 0xE0, 0xE2, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF];
        for (int c = 0; c < Cases; c++)
        {
            byte[] bytes = [.. Enumerable.Range(0, random.Next(0, 12)).Select(_ => alphabet[random.Next(alphabet.Length)])];
            var pieces = new List<byte[]>();
            for (int at = 0; at < bytes.Length;)
            {
                int take = random.Next(1, 4);
                pieces.Add(bytes[at..Math.Min(bytes.Length, at + take)]);
                at += take;
            }
            Assert.Equal(Encoding.UTF8.GetString(bytes), DecodeInPieces(pieces));
        }
    }
}
