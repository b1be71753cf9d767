// The store suite on a SQLite file, and what only the SQLite store has: WAL, the graph file beside it, FTS5, schema 1 backfill.
using Microsoft.Data.Sqlite;
using Quill.Search.Hnsw;
using Quill.Search.Storage;
using Quill.Search.Storage.Sqlite;

namespace Quill.Search.Tests.Storage;

public class SqliteStoreTests : StoreContractTests
{
    private int _stores;

    protected override string NewStore(TempFolder temp) => temp.File($"s{++_stores}.db");

    private static long FullTextRows(VectorStore store, string word)
    {
        using SqliteCommand command = ((SqliteVectorStore)store).Command("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH $w");
        command.Parameters.AddWithValue("$w", word);
        return Convert.ToInt64(command.ExecuteScalar());
    }

    [Fact]
    public void A_new_store_is_a_sqlite_file_in_wal_mode()
    {
        using var temp = Corpus();
        using var embedder = new HashingEmbedder();
        string db = temp.File("s.db");
        using (var index = DocumentIndex.OpenOrCreate(db, embedder, Small))
        {
            index.Add([temp.File("docs")]);
            Assert.Equal(db, index.Store.LocalFile);
        }
        using var connection = new SqliteConnection($"Data Source={db};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", command.ExecuteScalar());
    }

    [Theory]
    [InlineData("not a database at all, just text")]
    [InlineData("")]
    public void Files_that_are_not_stores_are_refused(string content)
    {
        using var temp = new TempFolder();
        string path = temp.Write("x.db", content);
        Assert.Throws<InvalidDataException>(() => VectorStore.Open(path));
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
    public void The_graph_file_beside_the_store_records_its_generation()
    {
        using var temp = Corpus();
        using var embedder = new HashingEmbedder();
        string db = temp.File("s.db");
        using var index = DocumentIndex.OpenOrCreate(db, embedder, Small with { HnswThreshold = 1 });
        index.Add([temp.File("docs")]);
        string graphPath = db + ".hnsw";
        Assert.Equal(graphPath, StoreGraph.PathFor(index.Store));
        Assert.Equal(index.Store.ChunkCount, HnswFile.Load(graphPath).Count);
        temp.Write("docs/fruit.txt", "Cherries are small.\n");
        index.Add([temp.File("docs")]);
        HnswIndex graph = HnswFile.Load(graphPath);
        Assert.Equal(index.Store.Generation, graph.StoreGeneration);
        Assert.Equal(index.Store.ChunkCount, graph.Count);
        index.Remove([temp.File("docs/router.md")]);
        Assert.Equal(index.Store.ChunkCount, HnswFile.Load(graphPath).Count);
        IndexRemoveReport report = DocumentIndex.RemoveFromStore(db, [temp.File("docs/fruit.txt")], Small with { HnswThreshold = 1 });
        Assert.Equal(1, report.Files);
        graph = HnswFile.Load(graphPath);
        Assert.Equal((index.Store.ChunkCount, index.Store.Generation), ((long)graph.Count, graph.StoreGeneration));
    }

    [Fact]
    public void A_corrupt_graph_file_is_rebuilt_with_a_warning()
    {
        using var temp = Corpus();
        using var embedder = new HashingEmbedder();
        string db = temp.File("s.db");
        using (var index = DocumentIndex.OpenOrCreate(db, embedder, Small with { HnswThreshold = 1 })) index.Add([temp.File("docs")]);
        File.WriteAllText(db + ".hnsw", "garbage");
        using var reopened = DocumentIndex.Open(db, embedder, Small with { HnswThreshold = 1 });
        var warnings = new List<string>();
        Assert.EndsWith("space.txt", reopened.Search("distant galaxy telescope", 1, warnings.Add)[0].File);
        Assert.Single(warnings);
        Assert.Contains("rebuilding", warnings[0]);
        Assert.Equal(reopened.Store.ChunkCount, HnswFile.Load(db + ".hnsw").Count);
    }

    [Fact]
    public void Removed_and_replaced_chunks_leave_the_fts5_index()
    {
        using var temp = Corpus();
        using var embedder = new HashingEmbedder();
        using var index = DocumentIndex.OpenOrCreate(temp.File("s.db"), embedder, Small);
        index.Add([temp.File("docs")]);
        Assert.Equal(1, FullTextRows(index.Store, "bananas"));
        temp.Write("docs/fruit.txt", "Cherries are small.\n");
        index.Add([temp.File("docs")]);
        Assert.Equal(0, FullTextRows(index.Store, "bananas"));
        index.Remove([temp.File("docs/deep")]);
        Assert.Equal(0, FullTextRows(index.Store, "galaxy") + FullTextRows(index.Store, "tides"));
        Assert.Equal("ok", index.Store.CheckFullTextIntegrity());
    }

    [Fact]
    public void A_schema_1_store_gets_its_fts_index_backfilled_on_open()
    {
        using var temp = Corpus();
        using var embedder = new HashingEmbedder();
        string db = temp.File("old.db");
        using (var index = DocumentIndex.OpenOrCreate(db, embedder, Small)) index.Add([temp.File("docs")]);
        // Schema 1 is schema 2 without chunks_fts and its triggers.
        using (var connection = new SqliteConnection($"Data Source={db};Pooling=False"))
        {
            connection.Open();
            using SqliteCommand downgrade = connection.CreateCommand();
            downgrade.CommandText = """
                DROP TRIGGER chunks_fts_insert; DROP TRIGGER chunks_fts_delete; DROP TRIGGER chunks_fts_update; DROP TABLE chunks_fts;
                UPDATE meta SET value = '1' WHERE key = 'schema_version';
                """;
            downgrade.ExecuteNonQuery();
        }
        using (var index = DocumentIndex.Open(db, embedder, Small))
        {
            Assert.EndsWith("router.md", index.ReadHits(index.KeywordSearch("sticker", 1))[0].File);
            Assert.Equal("ok", index.Store.CheckFullTextIntegrity());
            temp.Write("docs/fruit.txt", "Cherries are small.\n");
            index.Add([temp.File("docs")]);  // the triggers are in place: the replaced chunks leave the index
            Assert.Empty(index.KeywordSearch("bananas", 5));
            Assert.Single(index.KeywordSearch("cherries", 5));
        }
        using var reopened = new SqliteConnection($"Data Source={db};Pooling=False");
        reopened.Open();
        using SqliteCommand version = reopened.CreateCommand();
        version.CommandText = "SELECT value FROM meta WHERE key = 'schema_version'";
        Assert.Equal(SqliteVectorStore.SchemaVersion.ToString(), version.ExecuteScalar());
    }
}
