// The byte layout of one .ckpt file (header, payload, CRC-32 trailer) and its verification; knows nothing of what the payload holds.
using System.Buffers.Binary;
using Quill.Training.Reporting;

namespace Quill.Training.Checkpoints;

/// <summary>
/// <code>
/// offset 0   "QCKP"               magic
/// offset 4   u32 LE               version (1)
/// offset 8   i64 LE               step (must match the file name)
/// offset 16  i64 LE               payload length L
/// offset 24  L bytes              payload
/// offset 24+L u32 LE              CRC-32 of the payload
/// </code>
/// A torn file fails the length check, a flipped byte the magic, version, step, length or checksum.
/// </summary>
internal static class CheckpointFileFormat
{
    public const int Version = 1;
    public const int HeaderSize = 24;
    public const int TrailerSize = 4;
    public const int LengthOffset = 16;
    private static ReadOnlySpan<byte> Magic => "QCKP"u8;

    public static void WriteHeader(Span<byte> header, long step, long payloadLength)
    {
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.Slice(4), Version);
        BinaryPrimitives.WriteInt64LittleEndian(header.Slice(8), step);
        BinaryPrimitives.WriteInt64LittleEndian(header.Slice(LengthOffset), payloadLength);
    }

    /// <summary>Checks header and checksum of the open file and returns its payload length; throws a one-line InvalidDataException otherwise.</summary>
    public static long Verify(FileStream file, long expectedStep)
    {
        string name = Path.GetFileName(file.Name);
        long size = file.Length;
        if (size < HeaderSize + TrailerSize) ThrowTooShort(name, size);
        Span<byte> header = stackalloc byte[HeaderSize];
        file.Position = 0;
        file.ReadExactly(header);
        if (!header.Slice(0, 4).SequenceEqual(Magic)) ThrowBadMagic(name, header.Slice(0, 4));
        int version = BinaryPrimitives.ReadInt32LittleEndian(header.Slice(4));
        if (version != Version) Throw(name, $"expected version {Version}, found {version}, at offset 4");
        long step = BinaryPrimitives.ReadInt64LittleEndian(header.Slice(8));
        if (step != expectedStep) Throw(name, $"expected step {expectedStep} (from the file name), found {step}, at offset 8");
        long length = BinaryPrimitives.ReadInt64LittleEndian(header.Slice(LengthOffset));
        if (length < 0 || length != size - HeaderSize - TrailerSize)
            Throw(name, $"expected {HeaderSize} + payload length {length} + {TrailerSize} bytes, found {size} bytes, a torn or truncated write");

        var buffer = new byte[1 << 20];
        uint running = Crc32.Initial;
        for (long left = length; left > 0;)
        {
            int read = file.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (read == 0) Throw(name, $"expected {length} payload bytes, found the end of the file at offset {size - left}");
            running = Crc32.Update(running, buffer.AsSpan(0, read));
            left -= read;
        }
        Span<byte> trailer = stackalloc byte[TrailerSize];
        file.ReadExactly(trailer);
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        uint actual = Crc32.Finish(running);
        if (stored != actual)
            Throw(name, $"expected payload CRC-32 0x{stored:X8}, found 0x{actual:X8}, over bytes {HeaderSize}..{HeaderSize + length}");
        return length;
    }

    private static void ThrowTooShort(string name, long size) =>
        Throw(name, $"expected at least {HeaderSize + TrailerSize} bytes (header and checksum), found {size}, a torn or truncated write");

    private static void ThrowBadMagic(string name, ReadOnlySpan<byte> found) =>
        Throw(name, $"expected magic 'QCKP', found '{System.Text.Encoding.ASCII.GetString(found)}', at offset 0");

    private static void Throw(string name, string what) => throw new InvalidDataException($"{name}: {what}");
}
