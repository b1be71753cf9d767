// VectorStore and DocumentIndex with the hashing test embedder: schema, model checks, replace, skip, search, HNSW sync.
using Microsoft.Data.Sqlite;
using Quill.Search.Hnsw;
using Quill.Search.Storage;

namespace Quill.Search.Tests.Storage;

public class DocumentIndexTests
{
    private static readonly DocumentIndexOptions Small = new() { ChunkTokens = 16, OverlapTokens = 0, BatchSize = 4 };

    private static TempFolder Corpus()
    {
        var temp = new TempFolder();
        temp.Write("docs/router.md",
            "# Router\nHold the reset button for ten seconds to reset the router.\n\n## Wifi\nThe wifi password is printed on the sticker.\n");
        temp.Write("docs/fruit.txt", "Bananas are yellow.\n\nApples are red or green and crunchy.\n");
        temp.Write("docs/deep/space.txt", "The telescope photographed a distant galaxy.\n");
        temp.Write("docs/ignored.csv", "a,b,c\n");
        return temp;
    }

    [Fact]
    public void A_new_store_is_wal_with_model_and_dimensions()
    {
        using var temp = Corpus();
        using var embedder = new HashingEmbedder();
        string db = temp.File("s.db");
        using (var index = DocumentIndex.OpenOrCreate(db, embedder, Small))
        {
            IndexAddReport report = index.Add([temp.File("docs")]);
            Assert.Equal(3, report.FilesIndexed);
            Assert.Equal("ok", index.Store.CheckIntegrity());
        }
        using var connection = new SqliteConnection($"Data Source={db};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", command.ExecuteScalar());
        IndexStats stats = DocumentIndex.ReadStats(db);
        Assert.Equal(("test-hash-64", 64, 3L), (stats.ModelName, stats.Dimensions, stats.Files));
    }

    [Fact]
    public void Search_finds_the_chunk_that_shares_the_words()
    {
        using var temp = Corpus();
        using var embedder = new HashingEmbedder();
        using var index = DocumentIndex.OpenOrCreate(temp.File("s.db"), embedder, Small);
        index.Add([temp.File("docs")]);
        SearchHit best = index.Search("wifi password sticker", 3)[0];
        Assert.EndsWith("router.md", best.File);
        Assert.Equal((4, 5), (best.StartLine, best.EndLine));
        Assert.StartsWith("## Wifi", best.Text);
        Assert.EndsWith("space.txt", index.Search("distant galaxy telescope", 1)[0].File);
    }

    [Fact]
    public void Re_adding_a_changed_file_replaces_its_chunks_and_unchanged_files_are_skipped()
    {
        using var temp = Corpus();
        using var embedder = new HashingEmbedder();
        using var index = DocumentIndex.OpenOrCreate(temp.File("s.db"), embedder, Small);
        index.Add([temp.File("docs")]);
        long before = index.Store.ChunkCount;
        temp.Write("docs/fruit.txt", "Cherries are small.\n");
        IndexAddReport again = index.Add([temp.File("docs")]);
        Assert.Equal((1, 2), (again.FilesIndexed, again.FilesUnchanged));
        Assert.Equal(before, index.Store.ChunkCount);  // fruit.txt: one chunk before, one after
        Assert.DoesNotContain(index.Search("bananas yellow", 10), h => h.Text.Contains("Bananas"));
    }

    [Fact]
    public void Another_models_store_is_refused_with_one_line()
    {
        using var temp = Corpus();
        string db = temp.File("s.db");
        using (var embedder = new HashingEmbedder(64))
        using (var index = DocumentIndex.OpenOrCreate(db, embedder, Small)) index.Add([temp.File("docs/fruit.txt")]);
        using var other = new HashingEmbedder(32);
        var e = Assert.Throws<InvalidDataException>(() => DocumentIndex.OpenOrCreate(db, other, Small));
        Assert.Equal($"{db}: expected vectors of model 'test-hash-32' (32 dims), found a store built with 'test-hash-64' (64 dims); use -m test-hash-64 or " +
            $"another --store", e.Message);
        Assert.Throws<InvalidDataException>(() => DocumentIndex.Open(db, other, Small));
    }

    [Theory]
    [InlineData("not a database at all, just text")]
    [InlineData("")]
    public void Files_that_are_not_stores_are_refused(string content)
    {
        using var temp = new TempFolder();
        string path = temp.Write("x.db", content);
        using var embedder = new HashingEmbedder();
        if (content.Length > 0) Assert.Throws<InvalidDataException>(() => VectorStore.Open(path));
        else Assert.Throws<InvalidDataException>(() => VectorStore.Open(path));
    }

    [Fact]
    public void A_sqlite_file_of_something_else_is_refused()
    {
        using var temp = new TempFolder();
        string path = temp.File("other.db");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE t(x)";
            command.ExecuteNonQuery();
        }
        var e = Assert.Throws<InvalidDataException>(() => VectorStore.Open(path));
        Assert.Contains("without Quill's meta table", e.Message);
    }

    [Fact]
    public void Past_the_threshold_search_goes_through_a_graph_kept_in_step_with_the_store()
    {
        using var temp = Corpus();
        using var embedder = new HashingEmbedder();
        var options = Small with { HnswThreshold = 1 };
        string db = temp.File("s.db");
        using var index = DocumentIndex.OpenOrCreate(db, embedder, options);
        index.Add([temp.File("docs")]);
        string graphPath = db + ".hnsw";
        Assert.True(File.Exists(graphPath));
        Assert.Equal(index.Store.ChunkCount, HnswFile.Load(graphPath).Count);
        Assert.EndsWith("router.md", index.Search("wifi password sticker", 1)[0].File);

        temp.Write("docs/fruit.txt", "Cherries are small.\n");
        index.Add([temp.File("docs")]);
        HnswIndex graph = HnswFile.Load(graphPath);
        Assert.Equal(index.Store.Generation, graph.StoreGeneration);
        Assert.Equal(index.Store.ChunkCount, graph.Count);
        Assert.EndsWith("fruit.txt", index.Search("cherries small", 1)[0].File);
    }

    [Fact]
    public void A_corrupt_graph_file_is_rebuilt_with_a_warning()
    {
        using var temp = Corpus();
        using var embedder = new HashingEmbedder();
        string db = temp.File("s.db");
        using var index = DocumentIndex.OpenOrCreate(db, embedder, Small with { HnswThreshold = 1 });
        index.Add([temp.File("docs")]);
        File.WriteAllText(db + ".hnsw", "garbage");
        var warnings = new List<string>();
        Assert.EndsWith("space.txt", index.Search("distant galaxy telescope", 1, warnings.Add)[0].File);
        Assert.Single(warnings);
        Assert.Contains("rebuilding", warnings[0]);
        Assert.Equal(index.Store.ChunkCount, HnswFile.Load(db + ".hnsw").Count);
    }

    [Fact]
    public void Missing_inputs_and_bad_sizes_are_refused()
    {
        using var temp = new TempFolder();
        using var embedder = new HashingEmbedder();
        using var index = DocumentIndex.OpenOrCreate(temp.File("s.db"), embedder, Small);
        Assert.Throws<FileNotFoundException>(() => index.Add([temp.File("nope")]));
        Assert.Throws<ArgumentException>(() => DocumentIndex.OpenOrCreate(temp.File("t.db"), embedder, Small with { OverlapTokens = 16 }));
        Assert.Throws<ArgumentException>(() => index.Search("x", 0));
        Assert.Empty(index.Search("anything", 5));
    }
}
