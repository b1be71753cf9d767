// Encodes 8-bit RGB or RGBA pixels as a PNG file (one IDAT, filter 0 on every row).
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Quill.Training.Reporting;

public static class PngWriter
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>
    /// PNG bytes for <paramref name="width"/> × <paramref name="height"/> pixels stored row by row, top row first,
    /// <paramref name="channels"/> bytes per pixel: 3 (R, G, B) or 4 (R, G, B, A).
    /// </summary>
    public static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        if (channels is not (3 or 4)) ThrowBadChannels(channels);
        if (width <= 0 || height <= 0) ThrowBadSize(width, height);
        int rowBytes = checked(width * channels);
        if (pixels.Length != checked(rowBytes * height)) ThrowBadLength(pixels.Length, width, height, channels);

        using var output = new MemoryStream();
        output.Write(Signature);

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.Slice(4), height);
        header[8] = 8;                              // bit depth
        header[9] = (byte)(channels == 3 ? 2 : 6);  // colour type: truecolour, truecolour with alpha
        header[10] = 0;                             // compression: deflate
        header[11] = 0;                             // filter method 0
        header[12] = 0;                             // no interlace
        WriteChunk(output, "IHDR", header);

        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            {
                ReadOnlySpan<byte> filterNone = [0];
                for (int y = 0; y < height; y++)
                {
                    zlib.Write(filterNone);
                    zlib.Write(pixels.Slice(y * rowBytes, rowBytes));
                }
            }
            WriteChunk(output, "IDAT", compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        }
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    // Length, type, data, then the CRC-32 of type and data.
    private static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        Span<byte> typeBytes = stackalloc byte[4];
        Encoding.ASCII.GetBytes(type, typeBytes);
        output.Write(typeBytes);
        output.Write(data);
        uint crc = Crc32.Finish(Crc32.Update(Crc32.Update(Crc32.Initial, typeBytes), data));
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        output.Write(word);
    }

    private static void ThrowBadChannels(int channels) =>
        throw new ArgumentOutOfRangeException(nameof(channels), $"PNG: expected 3 (RGB) or 4 (RGBA) channels, found {channels}");

    private static void ThrowBadSize(int width, int height) =>
        throw new ArgumentOutOfRangeException(nameof(width), $"PNG: expected a positive width and height, found {width}x{height}");

    private static void ThrowBadLength(int length, int width, int height, int channels) =>
        throw new ArgumentException($"PNG: expected {(long)width * height * channels} pixel bytes for {width}x{height}x{channels}, found {length}", "pixels");
}
