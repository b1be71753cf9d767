// CRC-32 (ISO-HDLC: reflected polynomial 0xEDB88320, as in PNG, zlib and gzip), table driven.
namespace Quill.Training.Reporting;

/// <summary>
/// The CRC-32 of PNG chunks and checkpoint payloads. <see cref="Update"/> uses slicing-by-8 tables;
/// <see cref="UpdateReference"/> is the one-table, byte-at-a-time definition it is tested against.
/// A running value starts at <see cref="Initial"/>, is fed with <see cref="Update"/>, and is finished with <see cref="Finish"/>.
/// </summary>
public static class Crc32
{
    public const uint Initial = 0xFFFFFFFFu;
    private const uint Polynomial = 0xEDB88320u;

    // Tables[k][b]: the CRC contribution of byte b followed by k zero bytes.
    private static readonly uint[][] Tables = BuildTables();

    /// <summary>The finished CRC-32 of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Update(Initial, data));

    public static uint Finish(uint running) => ~running;

    /// <summary>Feeds <paramref name="data"/> into a running (not yet finished) CRC, eight bytes per step.</summary>
    public static uint Update(uint running, ReadOnlySpan<byte> data)
    {
        uint crc = running;
        uint[] t0 = Tables[0], t1 = Tables[1], t2 = Tables[2], t3 = Tables[3];
        uint[] t4 = Tables[4], t5 = Tables[5], t6 = Tables[6], t7 = Tables[7];
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            uint lo = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i)) ^ crc;
            uint hi = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i + 4));
            crc = t7[lo & 0xFF] ^ t6[(lo >> 8) & 0xFF] ^ t5[(lo >> 16) & 0xFF] ^ t4[lo >> 24]
                ^ t3[hi & 0xFF] ^ t2[(hi >> 8) & 0xFF] ^ t1[(hi >> 16) & 0xFF] ^ t0[hi >> 24];
        }
        for (; i < data.Length; i++)
            crc = t0[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    /// <summary>The finished CRC-32 of <paramref name="data"/> through <see cref="UpdateReference"/>.</summary>
    public static uint ComputeReference(ReadOnlySpan<byte> data) => Finish(UpdateReference(Initial, data));

    /// <summary>The definition: one table lookup per byte.</summary>
    public static uint UpdateReference(uint running, ReadOnlySpan<byte> data)
    {
        uint[] t0 = Tables[0];
        uint crc = running;
        foreach (byte b in data)
            crc = t0[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    private static uint[][] BuildTables()
    {
        var tables = new uint[8][];
        for (int k = 0; k < 8; k++) tables[k] = new uint[256];
        for (uint b = 0; b < 256; b++)
        {
            uint c = b;
            for (int bit = 0; bit < 8; bit++)
                c = (c & 1) != 0 ? Polynomial ^ (c >> 1) : c >> 1;
            tables[0][b] = c;
        }
        for (int k = 1; k < 8; k++)
            for (int b = 0; b < 256; b++)
                tables[k][b] = tables[0][tables[k - 1][b] & 0xFF] ^ (tables[k - 1][b] >> 8);
        return tables;
    }
}
