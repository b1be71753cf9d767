// Keeping a store in step with its folder: the FTS5 index beside the chunks, remove, re-add, prune, old-store backfill.
using Microsoft.Data.Sqlite;
using Quill.Search.Hnsw;
using Quill.Search.Retrieval;
using Quill.Search.Storage;

namespace Quill.Search.Tests.Storage;

public class StoreMaintenanceTests
{
    private static readonly DocumentIndexOptions Small = new() { ChunkTokens = 16, OverlapTokens = 0, BatchSize = 4 };

    private static TempFolder Corpus()
    {
        var temp = new TempFolder();
        temp.Write("docs/router.md",
            "# Router\nHold the reset button for ten seconds to reset the router.\n\n## Wifi\nThe wifi password is printed on the sticker.\n");
        temp.Write("docs/fruit.txt", "Bananas are yellow.\n\nApples are red or green and crunchy.\n");
        temp.Write("docs/deep/space.txt", "The telescope photographed a distant galaxy.\n");
        temp.Write("docs/deep/moon.txt", "The moon pulls the oceans into tides.\n");
        return temp;
    }

    private static long FullTextRows(VectorStore store, string word)
    {
        using SqliteCommand command = store.Command("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH $w");
        command.Parameters.AddWithValue("$w", word);
        return Convert.ToInt64(command.ExecuteScalar());
    }

    [Fact]
    public void Keyword_search_finds_every_added_chunk_through_the_fts_index()
    {
        using var temp = Corpus();
        using var embedder = new HashingEmbedder();
        using var index = DocumentIndex.OpenOrCreate(temp.File("s.db"), embedder, Small);
        index.Add([temp.File("docs")]);
        Assert.Equal("ok", index.Store.CheckFullTextIntegrity());
        SearchHit best = index.ReadHits(index.Store.KeywordSearch("sticker password", 5))[0];
        Assert.EndsWith("router.md", best.File);
        Assert.Equal((4, 5), (best.StartLine, best.EndLine));
        // Porter stemming: "photographs" and "tide" meet "photographed" and "tides".
        Assert.EndsWith("space.txt", index.ReadHits(index.Store.KeywordSearch("photographs", 1))[0].File);
        Assert.EndsWith("moon.txt", index.ReadHits(index.Store.KeywordSearch("tide", 1))[0].File);
    }

    [Fact]
    public void Remove_takes_files_and_folders_with_their_chunks_vectors_and_fts_rows()
    {
        using var temp = Corpus();
        using var embedder = new HashingEmbedder();
        using var index = DocumentIndex.OpenOrCreate(temp.File("s.db"), embedder, Small);
        index.Add([temp.File("docs")]);
        long chunks = index.Store.ChunkCount;

        IndexRemoveReport one = index.Remove([temp.File("docs/fruit.txt")]);
        Assert.Equal(1, one.Files);
        Assert.InRange(one.Chunks, 1, 2);
        Assert.Null(index.Store.FindFile(temp.File("docs/fruit.txt")));
        Assert.Equal(0, FullTextRows(index.Store, "bananas"));
        Assert.DoesNotContain(index.Search("bananas yellow", 10), h => h.File.EndsWith("fruit.txt"));

        File.Delete(temp.File("docs/deep/space.txt"));  // a folder's stored files go whether or not they still exist
        IndexRemoveReport folder = index.Remove([temp.File("docs/deep") + Path.DirectorySeparatorChar]);
        Assert.Equal(2, folder.Files);
        Assert.Equal(1, index.Store.FileCount);
        Assert.Equal(chunks - one.Chunks - folder.Chunks, index.Store.ChunkCount);
        Assert.Equal(0, FullTextRows(index.Store, "galaxy") + FullTextRows(index.Store, "tides"));
        Assert.Equal("ok", index.Store.CheckFullTextIntegrity());
        Assert.Equal("ok", index.Store.CheckIntegrity());

        var missing = Assert.Throws<FileNotFoundException>(() => index.Remove([temp.File("docs/router.md"), temp.File("docs/nothing")]));
        Assert.Contains("docs/nothing: no stored file at or under this path", missing.Message);
        Assert.Equal(1, index.Store.FileCount);  // nothing removed when one path matches nothing
        // A path is matched whole or as a folder, never as a prefix of a name: docs/rout is not docs/router.md.
        Assert.Throws<FileNotFoundException>(() => index.Remove([temp.File("docs/rout")]));
    }

    [Fact]
    public void Remove_keeps_the_hnsw_graph_in_step()
    {
        using var temp = Corpus();
        using var embedder = new HashingEmbedder();
        string db = temp.File("s.db");
        using var index = DocumentIndex.OpenOrCreate(db, embedder, Small with { HnswThreshold = 1 });
        index.Add([temp.File("docs")]);
        index.Remove([temp.File("docs/router.md")]);
        HnswIndex graph = HnswFile.Load(StoreGraph.PathFor(index.Store));
        Assert.Equal(index.Store.Generation, graph.StoreGeneration);
        Assert.Equal(index.Store.ChunkCount, graph.Count);
        Assert.DoesNotContain(index.Search("wifi password sticker", 10), h => h.File.EndsWith("router.md"));
        IndexRemoveReport report = DocumentIndex.RemoveFromStore(db, [temp.File("docs/fruit.txt")], Small with { HnswThreshold = 1 });
        Assert.Equal(1, report.Files);
        Assert.Equal(index.Store.ChunkCount, HnswFile.Load(StoreGraph.PathFor(index.Store)).Count);
    }

    [Fact]
    public void Re_adding_a_changed_file_replaces_its_fts_rows_and_vectors()
    {
        using var temp = Corpus();
        using var embedder = new HashingEmbedder();
        using var index = DocumentIndex.OpenOrCreate(temp.File("s.db"), embedder, Small);
        index.Add([temp.File("docs")]);
        temp.Write("docs/fruit.txt", "Cherries are small and dark red.\n");
        Assert.Equal(1, index.Add([temp.File("docs")]).FilesIndexed);
        Assert.Equal(0, FullTextRows(index.Store, "bananas"));
        Assert.Empty(index.Store.KeywordSearch("bananas", 5));
        Assert.DoesNotContain(index.Search("bananas yellow", 10), h => h.Text.Contains("Bananas"));
        var retriever = new HybridRetriever(index);
        foreach (RetrievalMode mode in new[] { RetrievalMode.Keyword, RetrievalMode.Vector, RetrievalMode.Hybrid })
        {
            SearchHit best = retriever.Retrieve("cherries small dark", 1, mode)[0];
            Assert.True(best.Text.StartsWith("Cherries", StringComparison.Ordinal), $"{mode}: {best.Text}");
        }
        Assert.Equal("ok", index.Store.CheckFullTextIntegrity());
    }

    [Fact]
    public void Prune_removes_stored_files_gone_from_the_folders_given()
    {
        using var temp = Corpus();
        using var embedder = new HashingEmbedder();
        using var index = DocumentIndex.OpenOrCreate(temp.File("s.db"), embedder, Small);
        index.Add([temp.File("docs")]);
        File.Delete(temp.File("docs/deep/moon.txt"));
        File.Delete(temp.File("docs/fruit.txt"));
        Assert.Equal(1, index.Prune([temp.File("docs/deep")]).Files);  // fruit.txt is outside the folder given
        Assert.Null(index.Store.FindFile(temp.File("docs/deep/moon.txt")));
        Assert.NotNull(index.Store.FindFile(temp.File("docs/fruit.txt")));
        Assert.Equal(1, index.Prune([temp.File("docs")]).Files);
        Assert.Equal(2, index.Store.FileCount);
        Assert.Equal(0, index.Prune([temp.File("docs")]).Files);
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
            Assert.EndsWith("router.md", index.ReadHits(index.Store.KeywordSearch("sticker", 1))[0].File);
            Assert.Equal("ok", index.Store.CheckFullTextIntegrity());
            temp.Write("docs/fruit.txt", "Cherries are small.\n");
            index.Add([temp.File("docs")]);  // the triggers are in place: the replaced chunks leave the index
            Assert.Empty(index.Store.KeywordSearch("bananas", 5));
            Assert.Single(index.Store.KeywordSearch("cherries", 5));
        }
        using var reopened = new SqliteConnection($"Data Source={db};Pooling=False");
        reopened.Open();
        using SqliteCommand version = reopened.CreateCommand();
        version.CommandText = "SELECT value FROM meta WHERE key = 'schema_version'";
        Assert.Equal(VectorStore.SchemaVersion.ToString(), version.ExecuteScalar());
    }
}
