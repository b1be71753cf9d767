// `quill index add|search|stats` end to end, including an add killed mid-way; not a test of chunking or HNSW details.
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Quill.Search.Storage;

namespace Quill.Search.Tests.Cli;

public class IndexCliTests
{
    private const int BatchSize = 32;  // DocumentIndexOptions' default, which the CLI uses

    private static TempFolder Corpus(int files = 3, int paragraphs = 2)
    {
        var temp = new TempFolder();
        temp.Write("docs/router.md",
            "# Router\nHold the reset button for ten seconds to reset the router.\n\n## Wifi\nThe wifi password is printed on the sticker.\n");
        temp.Write("docs/sub/fruit.txt", "Bananas are yellow.\n\nApples are red or green and crunchy.\n");
        for (int f = 0; f < files - 2; f++)
        {
            temp.Write($"docs/bulk/file{f:D3}.txt", string.Join("\n\n", Enumerable.Range(0, paragraphs).Select(p =>
                $"Paragraph {p} of file {f} talks about topic number {f * 31 + p} with some filler words around it.")));
        }
        return temp;
    }

    [Fact]
    public void Add_search_and_stats()
    {
        using var temp = Corpus();
        string db = temp.File("s.db");
        CliResult add = IndexCli.Run("index", "add", "--store", db, "--chunk-tokens", "32", "--overlap", "4", temp.File("docs"));
        Assert.True(add.ExitCode == 0, add.Stderr);
        Assert.StartsWith("3 files indexed", add.Stdout);

        CliResult search = IndexCli.Run("index", "search", "--store", db, "-k", "2", "wifi password sticker");
        Assert.Equal(0, search.ExitCode);
        Assert.Matches(@"^# hybrid: .*\n\d\.\d{4}  .*router\.md:4-5\n", search.Stdout);

        CliResult json = IndexCli.Run("index", "search", "--store", db, "-k", "3", "--json", "bananas");
        using JsonDocument doc = JsonDocument.Parse(json.Stdout);
        Assert.Equal(3, doc.RootElement.GetArrayLength());
        JsonElement first = doc.RootElement[0];
        Assert.EndsWith("fruit.txt", first.GetProperty("file").GetString());
        Assert.Equal(1, first.GetProperty("start_line").GetInt32());
        Assert.Contains("Bananas", first.GetProperty("text").GetString());
        Assert.True(first.GetProperty("score").GetSingle() > doc.RootElement[2].GetProperty("score").GetSingle());

        CliResult stats = IndexCli.Run("index", "stats", "--store", db);
        Assert.Contains("model:      test-hash-64", stats.Stdout);
        Assert.Contains("files:      3", stats.Stdout);
        Assert.Contains("index:      exact", stats.Stdout);
    }

    [Fact]
    public void Errors_are_one_line_with_a_nonzero_exit()
    {
        using var temp = Corpus();
        string db = temp.File("s.db");
        Assert.Equal(0, IndexCli.Run("index", "add", "--store", db, temp.File("docs/sub")).ExitCode);
        foreach (var (args, expected) in new (string[], string)[]
        {
            (["index", "search", "--store", db, "-m", "hash-32", "x"], "found a store built with 'test-hash-64'"),
            (["index", "stats", "--store", temp.File("none.db")], "no such vector store"),
            (["index", "stats", "--store", temp.File("docs/router.md")], "expected a Quill vector store"),
            (["index", "add", "--store", db, temp.File("missing")], "no such file or folder"),
            (["index", "add", "--store", db, "--chunk-tokens", "8", "--overlap", "8", temp.File("docs")], "--overlap"),
        })
        {
            CliResult r = IndexCli.Run(args);
            Assert.Equal(1, r.ExitCode);
            Assert.StartsWith("quill: ", r.Stderr);
            Assert.Contains(expected, r.Stderr);
            Assert.Single(r.Stderr.TrimEnd('\n').Split('\n'));
        }
        // The shipped CLI uses the default model (all-MiniLM-L6-v2), and refuses a store built by another model.
        CliResult defaultModel = IndexCli.RunQuill("index", "search", "--store", db, "x");
        Assert.Equal(1, defaultModel.ExitCode);
        Assert.Contains("found a store built with 'test-hash-64'", defaultModel.Stderr);
        Assert.Single(defaultModel.Stderr.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void A_killed_add_leaves_every_committed_batch_and_a_rerun_completes_it()
    {
        using var temp = Corpus(files: 60, paragraphs: 4);
        string db = temp.File("killed.db");
        string[] add = ["index", "add", "--store", db, "--chunk-tokens", "32", "--overlap", "0", temp.File("docs")];
        using (var process = Process.Start(IndexCli.StartInfo(delayMs: 250, add))!)
        {
            var deadline = Stopwatch.StartNew();
            while (CommittedChunks(db) < 2 * BatchSize)
            {
                Assert.False(process.HasExited, "the slow add finished before it could be killed");
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), "no batch committed in 60 s");
                Thread.Sleep(20);
            }
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        long afterKill;
        using (VectorStore store = VectorStore.Open(db))
        {
            Assert.Equal("ok", store.CheckIntegrity());
            afterKill = store.ChunkCount;
            Assert.Equal(0, afterKill % BatchSize);
            Assert.True(afterKill < 60 * 4, $"{afterKill} chunks: the add was not killed mid-way");
        }
        Assert.Equal(0, IndexCli.Run(add).ExitCode);
        string clean = temp.File("clean.db");
        Assert.Equal(0, IndexCli.Run(["index", "add", "--store", clean, .. add[4..]]).ExitCode);
        using VectorStore resumed = VectorStore.Open(db), reference = VectorStore.Open(clean);
        Assert.Equal(reference.ChunkCount, resumed.ChunkCount);
        Assert.Equal(reference.FileCount, resumed.FileCount);
    }

    private static long CommittedChunks(string db)
    {
        if (!File.Exists(db)) return 0;
        try
        {
            using var connection = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM chunks";
            return Convert.ToInt64(command.ExecuteScalar());
        }
        catch (SqliteException)
        {
            return 0;  // not created yet, or the schema is still being written
        }
    }
}
