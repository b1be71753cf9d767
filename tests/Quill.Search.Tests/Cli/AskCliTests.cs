// `quill ask` and `quill index remove|search --mode` end to end in child processes; answers' text is checked by structure only.
using System.Text.Json;
using System.Text.RegularExpressions;
using Quill.Models.Synthetic;
using Quill.Search.Tests.Retrieval;

namespace Quill.Search.Tests.Cli;

public partial class AskCliTests
{
    private static TempFolder Indexed(out string db)
    {
        var temp = new TempFolder();
        temp.Write("docs/router.md",
            "# Router\nHold the reset button for ten seconds to reset the router.\n\n## Wifi\nThe wifi password is printed on the sticker.\n");
        temp.Write("docs/fruit.txt", "Bananas are yellow.\n\nApples are red or green and crunchy.\n");
        temp.Write("docs/errors.md", "Error E-4012 means the licence has expired.\nError E-4013 means the disk is full.\n");
        db = temp.File("s.db");
        CliResult add = IndexCli.Run("index", "add", "--store", db, "--chunk-tokens", "32", "--overlap", "4", temp.File("docs"));
        Assert.True(add.ExitCode == 0, add.Stderr);
        return temp;
    }

    [Fact]
    public void Ask_json_has_the_answer_and_the_sources_in_rank_order()
    {
        using TempFolder temp = Indexed(out string db);
        CliResult r = IndexCli.Run("ask", "--store", db, "-k", "3", "--json", "how do I reset the router");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using JsonDocument doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal(["answer", "sources"], doc.RootElement.EnumerateObject().Select(p => p.Name));
        JsonElement[] sources = [.. doc.RootElement.GetProperty("sources").EnumerateArray()];
        Assert.Equal(3, sources.Length);
        foreach (JsonElement s in sources)
            Assert.Equal(["path", "start_line", "end_line", "score"], s.EnumerateObject().Select(p => p.Name));
        Assert.EndsWith("router.md", sources[0].GetProperty("path").GetString());
        float[] scores = [.. sources.Select(s => s.GetProperty("score").GetSingle())];
        Assert.Equal(scores.OrderDescending(), scores);
        CitationsPointAtRealSources(doc.RootElement.GetProperty("answer").GetString()!, sources);
    }

    [Fact]
    public void Ask_prints_an_extractive_answer_then_the_numbered_sources()
    {
        using TempFolder temp = Indexed(out string db);
        CliResult r = IndexCli.Run("ask", "--store", db, "-k", "2", "--mode", "keyword", "what does E-4012 mean");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string[] lines = r.Stdout.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        Assert.StartsWith("Error E-4012 means the licence has expired. [1]", lines[0]);
        Assert.Equal(["", "sources:"], lines[1..3]);
        Assert.Matches(@"^\[1\] .*errors\.md:1-2  \(\d+\.\d{4}\)$", lines[3]);
        Assert.Equal(4, lines.Length);  // the keyword search matched one chunk only
    }

    [Fact]
    public void Ask_with_a_model_streams_an_answer_and_prints_the_sources()
    {
        using TempFolder temp = Indexed(out string db);
        string model = temp.File("tiny.gguf");
        SyntheticModelWriter.Write(model, new SyntheticModelOptions { ContextLength = 4096, VocabSize = 300 });
        string[] args = ["ask", "--store", db, "-m", model, "-k", "2", "-n", "6", "--temperature", "0", "-t", "1", "reset the router"];
        CliResult streamed = IndexCli.Run(args);
        Assert.True(streamed.ExitCode == 0, streamed.Stderr);
        string[] lines = streamed.Stdout.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        Assert.Equal("sources:", lines[^3]);
        Assert.Matches(@"^\[1\] .*router\.md:\d+-\d+  \(", lines[^2]);
        Assert.Matches(@"^\[2\] ", lines[^1]);
        Assert.True(string.Join('\n', lines[..^4]).Length > 0, "no answer was streamed");

        CliResult json = IndexCli.Run([.. args[..^1], "--json", args[^1]]);
        Assert.True(json.ExitCode == 0, json.Stderr);
        using JsonDocument doc = JsonDocument.Parse(json.Stdout);
        Assert.Equal(lines[..^4], doc.RootElement.GetProperty("answer").GetString()!.ReplaceLineEndings("\n").Split('\n'));  // greedy: the same text
        Assert.Equal(2, doc.RootElement.GetProperty("sources").GetArrayLength());
    }

    [Fact]
    public void Bad_input_is_one_line_naming_the_thing_and_exit_code_1()
    {
        using TempFolder temp = Indexed(out string db);
        string notAModel = temp.Write("bad.gguf", "not a gguf file");
        foreach (var (args, expected) in new (string[], string)[]
        {
            (["ask", "--store", temp.File("none.db"), "q"], "none.db: no such vector store"),
            (["ask", "--store", db, "--embedder", "hash-32", "q"], "found a store built with 'test-hash-64' (64 dims); use --embedder test-hash-64"),
            (["ask", "--store", db, ""], "QUESTION: expected a question"),
            (["ask", "--store", db, "  "], "QUESTION: expected a question"),
            (["ask", "--store", db, "-k", "0", "q"], "-k: a positive number of sources expected, found 0"),
            (["ask", "--store", db, "-m", notAModel, "q"], "bad.gguf"),
            (["ask", "--store", db, "-m", temp.File("missing.gguf"), "q"], "missing.gguf"),
            (["ask", "--store", db, "--mode", "fuzzy", "q"], "--mode: expected hybrid, vector or keyword, found 'fuzzy'"),
            (["index", "search", "--store", db, "--mode", "fuzzy", "q"], "--mode: expected hybrid, vector or keyword"),
            (["index", "remove", "--store", db, temp.File("docs/nothing.md")], "nothing.md: no stored file at or under this path"),
            (["index", "remove", "--store", temp.File("none.db"), temp.File("docs")], "none.db: no such vector store"),
        })
        {
            CliResult r = IndexCli.Run(args);
            Assert.True(r.ExitCode == 1, $"{string.Join(' ', args)}: exit {r.ExitCode}, {r.Stderr}");
            Assert.StartsWith("quill: ", r.Stderr);
            Assert.Contains(expected, r.Stderr);
            Assert.Single(r.Stderr.TrimEnd('\n').Split('\n'));
        }
    }

    [Fact]
    public void Index_remove_and_search_modes_keep_the_store_in_step_with_the_folder()
    {
        using TempFolder temp = Indexed(out string db);
        CliResult keyword = IndexCli.Run("index", "search", "--store", db, "--mode", "keyword", "E-4013");
        Assert.StartsWith("# keyword: BM25", keyword.Stdout);
        Assert.Contains("errors.md:1-2", keyword.Stdout);
        Assert.StartsWith("# vector: ", IndexCli.Run("index", "search", "--store", db, "--mode", "vector", "x").Stdout);

        CliResult remove = IndexCli.Run("index", "remove", "--store", db, temp.File("docs/errors.md"));
        Assert.True(remove.ExitCode == 0, remove.Stderr);
        Assert.StartsWith("1 files removed (1 chunks)", remove.Stdout);
        Assert.Contains("no chunk matches", IndexCli.Run("index", "search", "--store", db, "--mode", "keyword", "E-4013").Stdout);
        Assert.Contains("files:      2", IndexCli.Run("index", "stats", "--store", db).Stdout);

        File.Delete(temp.File("docs/fruit.txt"));
        CliResult prune = IndexCli.Run("index", "add", "--store", db, "--prune", "--chunk-tokens", "32", "--overlap", "4", temp.File("docs"));
        Assert.True(prune.ExitCode == 0, prune.Stderr);
        Assert.StartsWith("1 files pruned", prune.Stdout);
        Assert.Contains("\n1 files indexed", prune.Stdout);  // errors.md, removed from the store but still in the folder
        Assert.Contains("files:      2", IndexCli.Run("index", "stats", "--store", db).Stdout);
    }

    [Fact]
    public void The_shipped_cli_answers_from_the_built_in_embedders_store()
    {
        using var temp = new TempFolder();
        string docs = RetrievalCorpus.WriteTo(temp), db = temp.File("corpus.db");
        CliResult add = IndexCli.RunQuill("index", "add", "--store", db, docs);
        Assert.True(add.ExitCode == 0, add.Stderr);
        CliResult r = IndexCli.RunQuill("ask", "--store", db, "--json", "how long is a marathon");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using JsonDocument doc = JsonDocument.Parse(r.Stdout);
        JsonElement[] sources = [.. doc.RootElement.GetProperty("sources").EnumerateArray()];
        Assert.Equal(5, sources.Length);
        Assert.EndsWith("marathon.md", sources[0].GetProperty("path").GetString());
        string answer = doc.RootElement.GetProperty("answer").GetString()!;
        Assert.StartsWith("A marathon race is 42.195 kilometres long. [1]", answer);
        CitationsPointAtRealSources(answer, sources);
    }

    /// <summary>Every "sentence [n]" of an extractive answer is quoted from the lines source n names.</summary>
    private static void CitationsPointAtRealSources(string answer, JsonElement[] sources)
    {
        MatchCollection cited = Citation().Matches(answer);
        Assert.NotEmpty(cited);
        foreach (Match m in cited)
        {
            int n = int.Parse(m.Groups[2].Value);
            Assert.InRange(n, 1, sources.Length);
            JsonElement s = sources[n - 1];
            string[] lines = File.ReadAllLines(s.GetProperty("path").GetString()!);
            string quoted = string.Join(' ', lines[(s.GetProperty("start_line").GetInt32() - 1)..s.GetProperty("end_line").GetInt32()]);
            Assert.Contains(m.Groups[1].Value.Trim(), quoted);
        }
    }

    [GeneratedRegex(@"(.+?) \[(\d+)\](?: |$)")]
    private static partial Regex Citation();
}
