// HNSW determinism, tombstones, save/load round trip and hand-broken files; recall lives in HnswRecallTests.
using Quill.Search.Hnsw;

namespace Quill.Search.Tests.Hnsw;

public class HnswFileTests
{
    private const int Dims = 33;
    private static readonly HnswOptions Small = new() { M = 8, EfConstruction = 40, EfSearch = 40, Seed = 7 };

    private static (HnswIndex Index, float[] Rows) SmallIndex(int count = 500, HnswOptions? options = null)
    {
        float[] rows = RandomVectors.UnitRows(count, Dims, 3);
        return (HnswRecallTests.Build(rows, Dims, options ?? Small), rows);
    }

    [Fact]
    public void The_same_seed_builds_the_same_file()
    {
        using var temp = new TempFolder();
        SmallIndex().Index.Save(temp.File("a.hnsw"));
        SmallIndex().Index.Save(temp.File("b.hnsw"));
        SmallIndex(options: Small with { Seed = 8 }).Index.Save(temp.File("c.hnsw"));
        Assert.Equal(File.ReadAllBytes(temp.File("a.hnsw")), File.ReadAllBytes(temp.File("b.hnsw")));
        Assert.NotEqual(File.ReadAllBytes(temp.File("a.hnsw")), File.ReadAllBytes(temp.File("c.hnsw")));
    }

    [Fact]
    public void Save_and_load_give_the_same_answers()
    {
        using var temp = new TempFolder();
        (HnswIndex index, float[] rows) = SmallIndex();
        index.Remove(3);
        index.StoreGeneration = 42;
        string path = temp.File("g.hnsw");
        HnswFile.Save(index, path);
        HnswIndex loaded = HnswFile.Load(path);
        Assert.Equal(42, loaded.StoreGeneration);
        Assert.Equal(index.Count, loaded.Count);
        Assert.False(loaded.Contains(3));
        float[] queries = RandomVectors.UnitRows(20, Dims, 9);
        for (int q = 0; q < 20; q++)
            Assert.Equal(index.Search(queries.AsSpan(q * Dims, Dims), 10, 40), loaded.Search(queries.AsSpan(q * Dims, Dims), 10, 40));
        // Inserting after a load continues the same level sequence as inserting before saving.
        index.Add(1000, rows.AsSpan(0, Dims));
        loaded.Add(1000, rows.AsSpan(0, Dims));
        HnswFile.Save(index, temp.File("x.hnsw"));
        HnswFile.Save(loaded, temp.File("y.hnsw"));
        Assert.Equal(File.ReadAllBytes(temp.File("x.hnsw")), File.ReadAllBytes(temp.File("y.hnsw")));
        Assert.Empty(Directory.GetFiles(temp.Path, "*.tmp"));
    }

    [Fact]
    public void Removed_keys_are_never_returned()
    {
        (HnswIndex index, float[] rows) = SmallIndex();
        for (long key = 0; key < 100; key++) index.Remove(key);
        Assert.False(index.Remove(5));
        for (int r = 0; r < 100; r += 7)
        {
            var hits = index.Search(rows.AsSpan(r * Dims, Dims), 10, 40);
            Assert.Equal(10, hits.Length);
            Assert.All(hits, h => Assert.True(h.Id >= 100));
        }
    }

    [Fact]
    public void An_empty_index_round_trips_and_finds_nothing()
    {
        using var temp = new TempFolder();
        HnswFile.Save(new HnswIndex(Dims, Small), temp.File("e.hnsw"));
        HnswIndex loaded = HnswFile.Load(temp.File("e.hnsw"));
        Assert.Empty(loaded.Search(new float[Dims], 5, 10));
    }

    public static TheoryData<string, int, byte> Corruptions => new()
    {
        { "magic", 0, (byte)'X' },
        { "version", 8, 9 },
        { "dimensions", 15, 0x7F },
        { "M", 16, 0 },
        { "node count", 27, 0x40 },
        { "entry node", 31, 0x7F },
        { "a level", 56 + 8 * 300, 0x7F },
        { "a tombstone", 56 + 12 * 300 + 5, 2 },
        { "a vector", 56 + 13 * 300 + 100, 0x55 },
        { "a link", -200, 0x7F },
        { "the checksum", -1, 0x01 },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Broken_files_are_refused_with_a_message(string what, int offset, byte value)
    {
        using var temp = new TempFolder();
        string path = temp.File("broken.hnsw");
        HnswFile.Save(SmallIndex(300).Index, path);
        byte[] bytes = File.ReadAllBytes(path);
        int at = offset < 0 ? bytes.Length + offset : offset;
        bytes[at] = bytes[at] == value ? (byte)(value ^ 0xFF) : value;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => HnswFile.Load(path));
        Assert.StartsWith(path + ": expected", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.NotEmpty(what);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(63)]
    [InlineData(5000)]
    public void Truncated_files_are_refused(int keep)
    {
        using var temp = new TempFolder();
        string path = temp.File("short.hnsw");
        HnswFile.Save(SmallIndex(300).Index, path);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes.AsSpan(0, Math.Min(keep, bytes.Length - 1)).ToArray());
        Assert.Throws<InvalidDataException>(() => HnswFile.Load(path));
    }
}

internal static class HnswIndexSaving
{
    public static void Save(this HnswIndex index, string path) => HnswFile.Save(index, path);
}
