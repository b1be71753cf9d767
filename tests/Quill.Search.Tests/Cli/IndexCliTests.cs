// `quill index add|search|stats` end to end (the add killed mid-way is in the store suite, StoreContractTests); not chunking or HNSW details.
using System.Text.Json;

namespace Quill.Search.Tests.Cli;

public class IndexCliTests
{
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
}
