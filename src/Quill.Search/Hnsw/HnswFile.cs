// Saves an HnswIndex atomically (temp file, fsync, rename) and loads it with every count and link bounds-checked.
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Quill.Search.Hnsw;

/// <summary>
/// The index file, little-endian: a 56-byte header ("QUILLHNS", version, D, M, efConstruction, N, entry node, top level,
/// reserved, store generation, level generator state), then keys i64[N], levels i32[N], tombstones u8[N], vectors
/// f32[N·D], layer-0 links i32[N·(1+2M)], upper links i32[Σlevels·(1+M)] in node order, and a 64-bit checksum of all
/// of it. A file that is short, from another version, out of bounds anywhere or failing its checksum is refused with
/// an <see cref="InvalidDataException"/> naming what was wrong; loading never indexes outside what it read.
/// </summary>
public static class HnswFile
{
    /// <summary>The format version this code writes and reads.</summary>
    public const int Version = 1;

    private const int HeaderSize = 56;
    private const int MaxDimensions = 65536;
    private static ReadOnlySpan<byte> Magic => "QUILLHNS"u8;

    /// <summary>Writes <paramref name="index"/> to <paramref name="path"/>: all or nothing, even if the process dies mid-way.</summary>
    public static void Save(HnswIndex index, string path)
    {
        if (!BitConverter.IsLittleEndian) throw new NotSupportedException("HNSW files are written on little-endian machines only");
        string temp = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                var checksum = new StreamChecksum();
                Span<byte> header = stackalloc byte[HeaderSize];
                Magic.CopyTo(header);
                BinaryPrimitives.WriteInt32LittleEndian(header[8..], Version);
                BinaryPrimitives.WriteInt32LittleEndian(header[12..], index.Dimensions);
                BinaryPrimitives.WriteInt32LittleEndian(header[16..], index.M);
                BinaryPrimitives.WriteInt32LittleEndian(header[20..], index.EfConstruction);
                BinaryPrimitives.WriteInt32LittleEndian(header[24..], index.NodeCount);
                BinaryPrimitives.WriteInt32LittleEndian(header[28..], index.Entry);
                BinaryPrimitives.WriteInt32LittleEndian(header[32..], index.TopLevel);
                BinaryPrimitives.WriteInt32LittleEndian(header[36..], 0);
                BinaryPrimitives.WriteInt64LittleEndian(header[40..], index.StoreGeneration);
                BinaryPrimitives.WriteUInt64LittleEndian(header[48..], index.RngState);
                Write(stream, ref checksum, header);
                Write(stream, ref checksum, MemoryMarshal.AsBytes(index.RawKeys));
                Write(stream, ref checksum, MemoryMarshal.AsBytes(index.RawLevels));
                Write(stream, ref checksum, MemoryMarshal.AsBytes(index.RawDeleted));
                Write(stream, ref checksum, MemoryMarshal.AsBytes(index.RawVectors));
                Write(stream, ref checksum, MemoryMarshal.AsBytes(index.RawLinks0));
                int[]?[] upper = index.RawUpper;
                for (int i = 0; i < index.NodeCount; i++)
                    if (upper[i] is { } links) Write(stream, ref checksum, MemoryMarshal.AsBytes(links.AsSpan()));
                Span<byte> trailer = stackalloc byte[sizeof(ulong)];
                BinaryPrimitives.WriteUInt64LittleEndian(trailer, checksum.Value);
                stream.Write(trailer);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Reads an index written by <see cref="Save"/>; throws <see cref="InvalidDataException"/> for anything else.</summary>
    public static HnswIndex Load(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        long length = stream.Length;
        if (length < HeaderSize + sizeof(ulong)) Corrupt(path, $"at least {HeaderSize + sizeof(ulong)} bytes", $"{length}", "the header");
        var checksum = new StreamChecksum();
        Span<byte> header = stackalloc byte[HeaderSize];
        stream.ReadExactly(header);
        checksum.Append(header);
        if (!header[..8].SequenceEqual(Magic)) Corrupt(path, "a Quill HNSW index (magic QUILLHNS)", Convert.ToHexString(header[..8]), "offset 0");
        int version = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        if (version != Version) Corrupt(path, $"format version {Version}", $"{version}", "offset 8");
        int dims = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
        int m = BinaryPrimitives.ReadInt32LittleEndian(header[16..]);
        int efConstruction = BinaryPrimitives.ReadInt32LittleEndian(header[20..]);
        int count = BinaryPrimitives.ReadInt32LittleEndian(header[24..]);
        int entry = BinaryPrimitives.ReadInt32LittleEndian(header[28..]);
        int topLevel = BinaryPrimitives.ReadInt32LittleEndian(header[32..]);
        long generation = BinaryPrimitives.ReadInt64LittleEndian(header[40..]);
        ulong rng = BinaryPrimitives.ReadUInt64LittleEndian(header[48..]);
        if (dims < 1 || dims > MaxDimensions) Corrupt(path, $"dimensions in 1..{MaxDimensions}", $"{dims}", "offset 12");
        if (m < 2 || m > HnswIndex.MaxM) Corrupt(path, $"M in 2..{HnswIndex.MaxM}", $"{m}", "offset 16");
        if (efConstruction < 1) Corrupt(path, "efConstruction ≥ 1", $"{efConstruction}", "offset 20");
        int m0 = 2 * m;
        long perNode = sizeof(long) + sizeof(int) + 1 + 4L * dims + 4L * (m0 + 1);
        if (count < 0 || HeaderSize + count * perNode + sizeof(ulong) > length)
            Corrupt(path, $"a node count that fits the file's {length} bytes", $"{count}", "offset 24");

        var keys = new long[count];
        var levels = new int[count];
        var deleted = new bool[count];
        var vectors = new float[count * dims];
        var links0 = new int[count * (m0 + 1)];
        Read(stream, ref checksum, MemoryMarshal.AsBytes(keys.AsSpan()));
        Read(stream, ref checksum, MemoryMarshal.AsBytes(levels.AsSpan()));
        var deletedBytes = new byte[count];
        Read(stream, ref checksum, deletedBytes);
        Read(stream, ref checksum, MemoryMarshal.AsBytes(vectors.AsSpan()));
        Read(stream, ref checksum, MemoryMarshal.AsBytes(links0.AsSpan()));
        long upperInts = 0;
        for (int i = 0; i < count; i++)
        {
            if (levels[i] < 0 || levels[i] > HnswIndex.MaxLevel) Corrupt(path, $"levels in 0..{HnswIndex.MaxLevel}", $"{levels[i]}", $"node {i}");
            if (deletedBytes[i] > 1) Corrupt(path, "a tombstone flag of 0 or 1", $"{deletedBytes[i]}", $"node {i}");
            deleted[i] = deletedBytes[i] == 1;
            upperInts += (long)levels[i] * (m + 1);
        }
        long expected = HeaderSize + count * perNode + 4 * upperInts + sizeof(ulong);
        if (expected != length) Corrupt(path, $"{expected} bytes for {count} nodes", $"{length}", "the file size");
        var upper = new int[]?[count];
        for (int i = 0; i < count; i++)
        {
            if (levels[i] == 0) continue;
            var links = new int[levels[i] * (m + 1)];
            Read(stream, ref checksum, MemoryMarshal.AsBytes(links.AsSpan()));
            upper[i] = links;
        }
        Span<byte> trailer = stackalloc byte[sizeof(ulong)];
        stream.ReadExactly(trailer);
        ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(trailer);
        if (stored != checksum.Value) Corrupt(path, $"checksum {checksum.Value:x16}", $"{stored:x16}", "the end of the file");

        if (count == 0 ? entry != -1 || topLevel != -1 : entry < 0 || entry >= count || topLevel != levels[entry])
            Corrupt(path, "an entry node on the top level", $"node {entry} at level {topLevel}", "offset 28");
        for (int i = 0; i < count; i++)
        {
            CheckLinks(path, links0.AsSpan(i * (m0 + 1), m0 + 1), levels, 0, i);
            for (int l = 1; l <= levels[i]; l++) CheckLinks(path, upper[i].AsSpan((l - 1) * (m + 1), m + 1), levels, l, i);
        }
        var live = new HashSet<long>();
        for (int i = 0; i < count; i++)
            if (!deleted[i] && !live.Add(keys[i])) Corrupt(path, "distinct keys", $"key {keys[i]} twice", $"node {i}");
        return new HnswIndex(dims, m, efConstruction, rng, count, vectors, keys, levels, deleted, links0, upper, entry, topLevel)
        {
            StoreGeneration = generation,
        };
    }

    private static void CheckLinks(string path, ReadOnlySpan<int> block, int[] levels, int level, int node)
    {
        int n = block[0];
        if (n < 0 || n > block.Length - 1) Corrupt(path, $"at most {block.Length - 1} links", $"{n}", $"node {node} level {level}");
        foreach (int target in block.Slice(1, n))
        {
            if ((uint)target >= (uint)levels.Length || levels[target] < level)
                Corrupt(path, $"links to nodes on level {level}", $"node {target}", $"node {node} level {level}");
        }
    }

    private static void Write(Stream stream, ref StreamChecksum checksum, ReadOnlySpan<byte> data)
    {
        checksum.Append(data);
        stream.Write(data);
    }

    private static void Read(Stream stream, ref StreamChecksum checksum, Span<byte> data)
    {
        stream.ReadExactly(data);
        checksum.Append(data);
    }

    private static void Corrupt(string path, string expected, string found, string where) =>
        throw new InvalidDataException($"{path}: expected {expected}, found {found}, at {where} (delete the file to rebuild it)");
}
