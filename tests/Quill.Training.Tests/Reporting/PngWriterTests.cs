// PngWriter: the output decodes (signature, chunk CRCs, zlib, filter 0) to the same size and pixels; bad arguments throw.
using Quill.Training.Reporting;

namespace Quill.Training.Tests.Reporting;

public class PngWriterTests
{
    [Theory]
    [InlineData(1, 1, 3)]
    [InlineData(7, 3, 3)]
    [InlineData(33, 17, 4)]
    [InlineData(256, 2, 4)]
    public void RoundTripsPixels(int width, int height, int channels)
    {
        var pixels = new byte[width * height * channels];
        new Random(width * 31 + height).NextBytes(pixels);
        var decoded = PngTestDecoder.Decode(PngWriter.Encode(pixels, width, height, channels));
        Assert.Equal((width, height, channels), (decoded.Width, decoded.Height, decoded.Channels));
        Assert.Equal(pixels, decoded.Pixels);
        Assert.Equal(["IHDR", "IDAT", "IEND"], decoded.ChunkTypes);
    }

    [Theory]
    [InlineData(2, 2, 2, 8)]
    [InlineData(0, 2, 3, 0)]
    [InlineData(2, 2, 3, 11)]
    public void RejectsBadArguments(int width, int height, int channels, int length) =>
        Assert.ThrowsAny<ArgumentException>(() => PngWriter.Encode(new byte[length], width, height, channels));
}
