// One store test suite, run against every kind of store (SQLite file, PostgreSQL server): what DocumentIndex relies on.
using System.Diagnostics;
using Quill.Search.Retrieval;
using Quill.Search.Storage;
using Quill.Search.Tests.Cli;

namespace Quill.Search.Tests.Storage;

/// <summary>
/// Subclasses say where a fresh store lives (<see cref="NewStore"/>); every test here must pass for each of them:
/// add, skip, replace, remove, prune, keyword and vector search, model checks, the graph past the threshold, a second
/// process's writes seen at the next search, and an add killed mid-way that a rerun completes.
/// </summary>
public abstract class StoreContractTests
{
    protected static readonly DocumentIndexOptions Small = new() { ChunkTokens = 16, OverlapTokens = 0, BatchSize = 4 };

    /// <summary>The location (file path or URL) of a store that does not exist yet.</summary>
    protected abstract string NewStore(TempFolder temp);

    protected static TempFolder Corpus()
    {
        var temp = new TempFolder();
        temp.Write("docs/router.md",
            "# Router\nHold the reset button for ten seconds to reset the router.\n\n## Wifi\nThe wifi password is printed on the sticker.\n");
        temp.Write("docs/fruit.txt", "Bananas are yellow.\n\nApples are red or green and crunchy.\n");
        temp.Write("docs/deep/space.txt", "The telescope photographed a distant galaxy.\n");
        temp.Write("docs/deep/moon.txt", "The moon pulls the oceans into tides. Error XR-7741 means the cable is loose.\n");
        temp.Write("docs/ignored.csv", "a,b,c\n");
        return temp;
    }

    [Fact]
    public void A_new_store_records_model_dimensions_and_files()
    {
        using var temp = Corpus();
        using var embedder = new HashingEmbedder();
        string store = NewStore(temp);
        using (var index = DocumentIndex.OpenOrCreate(store, embedder, Small))
        {
            IndexAddReport report = index.Add([temp.File("docs")]);
            Assert.Equal(4, report.FilesIndexed);
            Assert.Equal("ok", index.Store.CheckIntegrity());
            Assert.Equal("ok", index.Store.CheckFullTextIntegrity());
            Assert.True(index.Store.Generation > 0);
        }
        IndexStats stats = DocumentIndex.ReadStats(store);
        Assert.Equal(("test-hash-64", 64, 4L), (stats.ModelName, stats.Dimensions, stats.Files));
    }

    [Fact]
    public void Vector_and_keyword_search_find_the_chunk_that_shares_the_words()
    {
        using var temp = Corpus();
        using var embedder = new HashingEmbedder();
        using var index = DocumentIndex.OpenOrCreate(NewStore(temp), embedder, Small);
        index.Add([temp.File("docs")]);
        SearchHit best = index.Search("wifi password sticker", 3)[0];
        Assert.EndsWith("router.md", best.File);
        Assert.Equal((4, 5), (best.StartLine, best.EndLine));
        Assert.StartsWith("## Wifi", best.Text);
        Assert.EndsWith("space.txt", index.Search("distant galaxy telescope", 1)[0].File);
        SearchHit keyword = index.ReadHits(index.KeywordSearch("sticker password", 5))[0];
        Assert.EndsWith("router.md", keyword.File);
        Assert.Equal((4, 5), (keyword.StartLine, keyword.EndLine));
        // Stemming: "photographs" and "tide" meet "photographed" and "tides"; a code splits into its parts.
        Assert.EndsWith("space.txt", index.ReadHits(index.KeywordSearch("photographs", 1))[0].File);
        Assert.EndsWith("moon.txt", index.ReadHits(index.KeywordSearch("tide", 1))[0].File);
        Assert.EndsWith("moon.txt", index.ReadHits(index.KeywordSearch("what is XR-7741?", 1))[0].File);
        // Query syntax of either engine is only text.
        foreach (string hostile in (string[])["\"unbalanced", "a & | ! ( :* <->", "NEAR(x y) OR NOT", "''", "\\", "\0"])
            Assert.NotNull(index.KeywordSearch(hostile, 5));
    }

    [Fact]
    public void Re_adding_a_changed_file_replaces_its_chunks_and_unchanged_files_are_skipped()
    {
        using var temp = Corpus();
        using var embedder = new HashingEmbedder();
        using var index = DocumentIndex.OpenOrCreate(NewStore(temp), embedder, Small);
        index.Add([temp.File("docs")]);
        long before = index.Store.ChunkCount;
        temp.Write("docs/fruit.txt", "Cherries are small and dark red.\n");
        IndexAddReport again = index.Add([temp.File("docs")]);
        Assert.Equal((1, 3), (again.FilesIndexed, again.FilesUnchanged));
        Assert.Equal(before, index.Store.ChunkCount);  // fruit.txt: one chunk before, one after
        Assert.DoesNotContain(index.Search("bananas yellow", 10), h => h.Text.Contains("Bananas"));
        Assert.Empty(index.KeywordSearch("bananas", 5));
        var retriever = new HybridRetriever(index);
        foreach (RetrievalMode mode in new[] { RetrievalMode.Keyword, RetrievalMode.Vector, RetrievalMode.Hybrid })
        {
            SearchHit best = retriever.Retrieve("cherries small dark", 1, mode)[0];
            Assert.True(best.Text.StartsWith("Cherries", StringComparison.Ordinal), $"{mode}: {best.Text}");
        }
        Assert.Equal("ok", index.Store.CheckFullTextIntegrity());
    }

    [Fact]
    public void Another_models_store_is_refused_with_one_line()
    {
        using var temp = Corpus();
        string store = NewStore(temp);
        using (var embedder = new HashingEmbedder(64))
        using (var index = DocumentIndex.OpenOrCreate(store, embedder, Small)) index.Add([temp.File("docs/fruit.txt")]);
        using var other = new HashingEmbedder(32);
        var e = Assert.Throws<InvalidDataException>(() => DocumentIndex.OpenOrCreate(store, other, Small));
        Assert.EndsWith(": expected vectors of model 'test-hash-32' (32 dims), found a store built with 'test-hash-64' (64 dims); " +
            "use -m test-hash-64 or another --store", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Throws<InvalidDataException>(() => DocumentIndex.Open(store, other, Small));
    }

    [Fact]
    public void Opening_a_store_that_does_not_exist_is_refused()
    {
        using var temp = new TempFolder();
        using var embedder = new HashingEmbedder();
        var e = Assert.Throws<FileNotFoundException>(() => DocumentIndex.Open(NewStore(temp), embedder, Small));
        Assert.Contains("no such vector store", e.Message);
    }

    [Fact]
    public void Remove_takes_files_and_folders_with_their_chunks_vectors_and_keyword_rows()
    {
        using var temp = Corpus();
        using var embedder = new HashingEmbedder();
        using var index = DocumentIndex.OpenOrCreate(NewStore(temp), embedder, Small);
        index.Add([temp.File("docs")]);
        long chunks = index.Store.ChunkCount;

        IndexRemoveReport one = index.Remove([temp.File("docs/fruit.txt")]);
        Assert.Equal((1, 1), (one.Files, one.Chunks));
        Assert.Null(index.Store.FindFile(temp.File("docs/fruit.txt")));
        Assert.Empty(index.KeywordSearch("bananas", 5));
        Assert.DoesNotContain(index.Search("bananas yellow", 10), h => h.File.EndsWith("fruit.txt"));

        File.Delete(temp.File("docs/deep/space.txt"));  // a folder's stored files go whether or not they still exist
        IndexRemoveReport folder = index.Remove([temp.File("docs/deep") + Path.DirectorySeparatorChar]);
        Assert.Equal(2, folder.Files);
        Assert.Equal(1, index.Store.FileCount);
        Assert.Equal(chunks - one.Chunks - folder.Chunks, index.Store.ChunkCount);
        Assert.Empty(index.KeywordSearch("galaxy tides", 5));
        Assert.Equal("ok", index.Store.CheckFullTextIntegrity());
        Assert.Equal("ok", index.Store.CheckIntegrity());

        var missing = Assert.Throws<FileNotFoundException>(() => index.Remove([temp.File("docs/router.md"), temp.File("docs/nothing")]));
        Assert.Contains("docs/nothing: no stored file at or under this path", missing.Message);
        Assert.Equal(1, index.Store.FileCount);  // nothing removed when one path matches nothing
        Assert.Throws<FileNotFoundException>(() => index.Remove([temp.File("docs/rout")]));  // a folder, never a name prefix
    }

    [Fact]
    public void Prune_removes_stored_files_gone_from_the_folders_given()
    {
        using var temp = Corpus();
        using var embedder = new HashingEmbedder();
        using var index = DocumentIndex.OpenOrCreate(NewStore(temp), embedder, Small);
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
    public void Past_the_threshold_search_goes_through_a_graph_kept_in_step_with_the_store()
    {
        using var temp = Corpus();
        using var embedder = new HashingEmbedder();
        using var index = DocumentIndex.OpenOrCreate(NewStore(temp), embedder, Small with { HnswThreshold = 1 });
        index.Add([temp.File("docs")]);
        Assert.EndsWith("router.md", index.Search("wifi password sticker", 1)[0].File);
        temp.Write("docs/fruit.txt", "Cherries are small.\n");
        index.Add([temp.File("docs")]);
        Assert.EndsWith("fruit.txt", index.Search("cherries small", 1)[0].File);
        index.Remove([temp.File("docs/router.md")]);
        Assert.DoesNotContain(index.Search("wifi password sticker", 10), h => h.File.EndsWith("router.md"));
        Assert.Equal(index.Store.ChunkCount, index.Search("anything at all", 100).Count);
    }

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(1)]
    public void A_second_process_sees_the_first_ones_writes_at_its_next_search(long threshold)
    {
        using var temp = Corpus();
        using var embedder = new HashingEmbedder();
        string store = NewStore(temp);
        var options = Small with { HnswThreshold = threshold };
        using var writer = DocumentIndex.OpenOrCreate(store, embedder, options);
        writer.Add([temp.File("docs/router.md")]);
        using var reader = DocumentIndex.Open(store, embedder, options);  // another replica, holding its own vectors
        Assert.EndsWith("router.md", reader.Search("wifi password sticker", 1)[0].File);
        writer.Add([temp.File("docs/deep")]);
        Assert.EndsWith("space.txt", reader.Search("distant galaxy telescope", 1)[0].File);
        writer.Remove([temp.File("docs/router.md")]);
        Assert.DoesNotContain(reader.Search("wifi password sticker", 10), h => h.File.EndsWith("router.md"));
        Assert.Equal(writer.Store.ChunkCount, reader.Search("anything", 100).Count);
    }

    [Fact]
    public void Vector_mirror_catches_up_by_difference_and_matches_a_fresh_read()
    {
        using var temp = Corpus();
        using var embedder = new HashingEmbedder();
        using var index = DocumentIndex.OpenOrCreate(NewStore(temp), embedder, Small);
        index.Add([temp.File("docs/router.md"), temp.File("docs/fruit.txt")]);
        VectorMirror first = VectorMirror.CatchUp(index.Store, null);
        Assert.Same(first, VectorMirror.CatchUp(index.Store, first));  // nothing changed: nothing read
        index.Add([temp.File("docs/deep")]);
        index.Remove([temp.File("docs/fruit.txt")]);
        VectorMirror caught = VectorMirror.CatchUp(index.Store, first);
        (long[] ids, float[] vectors) = index.Store.ReadVectors();
        Assert.Equal(ids, caught.Ids);
        Assert.Equal(vectors, caught.Vectors);
        Assert.Equal(index.Store.Generation, caught.Generation);
    }

    [Fact]
    public void Missing_inputs_and_bad_sizes_are_refused()
    {
        using var temp = new TempFolder();
        using var embedder = new HashingEmbedder();
        using var index = DocumentIndex.OpenOrCreate(NewStore(temp), embedder, Small);
        Assert.Throws<FileNotFoundException>(() => index.Add([temp.File("nope")]));
        Assert.Throws<ArgumentException>(() => DocumentIndex.OpenOrCreate(NewStore(temp), embedder, Small with { OverlapTokens = 16 }));
        Assert.Throws<ArgumentException>(() => index.Search("x", 0));
        Assert.Empty(index.Search("anything", 5));
        Assert.Empty(index.KeywordSearch("anything", 5));
        using VectorStoreBatch batch = index.Store.BeginBatch();
        Assert.Throws<ArgumentException>(() => batch.AddChunk(1, 0, new Quill.Search.Chunking.TextChunk("x", 1, 1, 0, 1, "x", 1), new float[3]));
    }

    [Fact]
    public void A_killed_add_leaves_every_committed_batch_and_a_rerun_completes_it()
    {
        const int batchSize = 32;  // DocumentIndexOptions' default, which the CLI uses
        using var temp = new TempFolder();
        for (int f = 0; f < 60; f++)
        {
            temp.Write($"docs/file{f:D3}.txt", string.Join("\n\n", Enumerable.Range(0, 4).Select(p =>
                $"Paragraph {p} of file {f} talks about topic number {f * 31 + p} with some filler words around it.")));
        }
        string store = NewStore(temp);
        string[] add = ["index", "add", "--store", store, "--chunk-tokens", "32", "--overlap", "0", temp.File("docs")];
        using (var process = Process.Start(IndexCli.StartInfo(delayMs: 250, add))!)
        {
            var deadline = Stopwatch.StartNew();
            while (CommittedChunks(store) < 2 * batchSize)
            {
                Assert.False(process.HasExited, "the slow add finished before it could be killed");
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), "no batch committed in 60 s");
                Thread.Sleep(20);
            }
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        using (VectorStore killed = VectorStore.Open(store))
        {
            Assert.Equal("ok", killed.CheckIntegrity());
            Assert.Equal(0, killed.ChunkCount % batchSize);
            Assert.True(killed.ChunkCount < 60 * 4, $"{killed.ChunkCount} chunks: the add was not killed mid-way");
        }
        CliResult rerun = IndexCli.Run(add);
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        string clean = NewStore(temp);
        Assert.Equal(0, IndexCli.Run(["index", "add", "--store", clean, .. add[4..]]).ExitCode);
        using VectorStore resumed = VectorStore.Open(store), reference = VectorStore.Open(clean);
        Assert.Equal(reference.ChunkCount, resumed.ChunkCount);
        Assert.Equal(reference.FileCount, resumed.FileCount);
        Assert.Equal("ok", resumed.CheckFullTextIntegrity());
    }

    private static long CommittedChunks(string store)
    {
        try
        {
            using VectorStore s = VectorStore.Open(store);
            return s.ChunkCount;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or System.Data.Common.DbException)
        {
            return 0;  // not created yet, or the schema is still being written
        }
    }
}
