// A minimal PNG reader for the tests: checks the signature and every chunk CRC, inflates IDAT, undoes filter 0; not a general decoder.
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Quill.Training.Reporting;

namespace Quill.Training.Tests.Reporting;

internal sealed record DecodedPng(int Width, int Height, int Channels, byte[] Pixels, IReadOnlyList<string> ChunkTypes)
{
    public (byte R, byte G, byte B) At(int x, int y)
    {
        int at = (y * Width + x) * Channels;
        return (Pixels[at], Pixels[at + 1], Pixels[at + 2]);
    }

    public bool Is(int x, int y, RgbColour colour) => At(x, y) == (colour.R, colour.G, colour.B);

    public int Count(RgbColour colour)
    {
        int count = 0;
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++)
                if (Is(x, y, colour)) count++;
        return count;
    }
}

internal static class PngTestDecoder
{
    private static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public static DecodedPng Decode(byte[] png)
    {
        Assert.Equal(Signature, png.AsSpan(0, 8).ToArray());
        var types = new List<string>();
        int width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        int at = 8;
        while (at < png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            string type = Encoding.ASCII.GetString(png, at + 4, 4);
            var data = png.AsSpan(at + 8, length);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length));
            Assert.Equal(Crc32.ComputeReference(png.AsSpan(at + 4, 4 + length)), stored);
            types.Add(type);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data.Slice(4));
                Assert.Equal(8, data[8]);
                channels = data[9] switch { 2 => 3, 6 => 4, _ => throw new InvalidDataException($"colour type {data[9]}") };
                Assert.Equal(0, data[12]);
            }
            else if (type == "IDAT") idat.Write(data);
            at += 12 + length;
        }
        Assert.Equal("IHDR", types[0]);
        Assert.Equal("IEND", types[^1]);
        Assert.Equal(png.Length, at);

        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress)) zlib.CopyTo(inflated);
        byte[] raw = inflated.ToArray();
        int rowBytes = width * channels;
        Assert.Equal((rowBytes + 1) * height, raw.Length);
        var pixels = new byte[rowBytes * height];
        for (int y = 0; y < height; y++)
        {
            Assert.Equal(0, raw[y * (rowBytes + 1)]);
            Array.Copy(raw, y * (rowBytes + 1) + 1, pixels, y * rowBytes, rowBytes);
        }
        return new DecodedPng(width, height, channels, pixels, types);
    }
}
