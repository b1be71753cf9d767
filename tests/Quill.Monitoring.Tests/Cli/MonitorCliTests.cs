// `quill monitor drift|watch` end to end: the JSON shape, the alert lines, --help, and bad input as one line naming the file with exit code 1.
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Quill.Monitoring.Tests.Data;

namespace Quill.Monitoring.Tests.Cli;

public sealed class MonitorCliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("quill-monitor-cli-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private string PathOf(string name) => Path.Combine(_folder, name);

    private string Write(string name, string text)
    {
        File.WriteAllText(PathOf(name), text);
        return PathOf(name);
    }

    [Fact]
    public void DriftJsonHasTheDocumentedShape()
    {
        SampleData.WriteJsonLines(PathOf("ref.jsonl"), 200, 1);
        SampleData.WriteJsonLines(PathOf("cur.jsonl"), 200, 2, shift: 10, weights: [1, 3, 6]);
        CliResult r = MonitorCli.Run("monitor", "drift", "--reference", PathOf("ref.jsonl"), "--current", PathOf("cur.jsonl"), "--json",
            "--columns", "latency:number,plan:category");
        Assert.True(r.ExitCode == 0, r.Stderr);
        JsonElement root = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal(1.0, root.GetProperty("drift_share").GetDouble());
        Assert.True(root.GetProperty("dataset_drift").GetBoolean());
        JsonElement latency = root.GetProperty("columns")[0];
        Assert.Equal("latency", latency.GetProperty("name").GetString());
        Assert.Equal("number", latency.GetProperty("kind").GetString());
        Assert.True(latency.GetProperty("drift").GetBoolean());
        Assert.Equal("ks p_value < 0.05", latency.GetProperty("rule").GetString());
        JsonElement tests = latency.GetProperty("tests");
        foreach (string name in (string[])["ks", "wasserstein", "psi", "jensen_shannon"]) Assert.True(tests.TryGetProperty(name, out _), name);
        Assert.True(tests.GetProperty("ks").GetProperty("p_value").GetDouble() < 0.05);
        JsonElement plan = root.GetProperty("columns")[1];
        Assert.Equal(2, plan.GetProperty("tests").GetProperty("chi2").GetProperty("dof").GetInt32());
    }

    [Fact]
    public void WatchOncePrintsAnAlertLinePerDriftedColumn()
    {
        var rows = Enumerable.Range(0, 60).Select(i => ($"2026-12-01T10:{i / 60:00}:{i % 60:00}.000Z", 40 + i % 5)).ToArray();
        string log = SampleReaderTests.LogWithRows(PathOf("requests.db"), rows);
        Write("ref.jsonl", string.Concat(Enumerable.Range(0, 60).Select(i => $"{{\"prompt_tokens\": {10 + i % 5}, \"model\": \"m\"}}\n")));
        CliResult r = MonitorCli.Run("monitor", "watch", "--log", log, "--reference", PathOf("ref.jsonl"), "--window", "50", "--once");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string[] lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.Contains(" DRIFT prompt_tokens (number): ks p_value < 0.05", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("DRIFT model", StringComparison.Ordinal));
        Assert.Contains("checked 2 columns: 1 drifted", lines[^1]);
    }

    [Fact]
    public void HelpListsMonitorWithExamples()
    {
        CliResult root = MonitorCli.Run("--help");
        Assert.Contains("monitor", root.Stdout);
        CliResult monitor = MonitorCli.Run("monitor", "--help");
        Assert.Contains("example: quill monitor drift", monitor.Stdout);
        Assert.Contains("example: quill monitor watch", monitor.Stdout);
    }

    [Fact]
    public void ServeListsTheLogFlagsAndRefusesADriftReferenceWithoutALog()
    {
        CliResult help = MonitorCli.Run("serve", "--help");
        foreach (string flag in (string[])["--log", "--no-log-text", "--log-embeddings", "--log-max-mb", "--drift-reference", "--drift-window"])
            Assert.Contains(flag, help.Stdout);
        string reference = Write("ref.jsonl", "{\"x\": 1}\n");
        CliResult r = MonitorCli.Run("serve", "-m", PathOf("model.gguf"), "--drift-reference", reference);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("quill: --drift-reference watches the request log: give --log FILE too", r.Stderr.TrimEnd('\n'));
    }

    [Fact]
    public void WatchRefusesAFileThatIsNotALog()
    {
        string reference = Write("ref.jsonl", "{\"x\": 1}\n");
        CliResult r = MonitorCli.Run("monitor", "watch", "--log", reference, "--reference", reference, "--once");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"quill: {reference}: not a SQLite request log (quill serve --log)", r.Stderr.TrimEnd('\n'));
    }

    public static TheoryData<string, string> BadInputs => new()
    {
        { "missing", "missing.jsonl: no such file" },
        { "malformed", "bad.jsonl:2: malformed JSON" },
        { "unknown-column", "ref.jsonl: unknown column 'nope' named by --columns" },
        { "missing-column", "cur.jsonl: no column 'y', which the other side has" },
        { "empty", "empty.jsonl: column 'x' has no values" },
        { "bad-kind", "--columns: column 'x' has kind 'weird'" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadInputIsOneLineNamingTheFileAndExitCodeOne(string problem, string message)
    {
        string reference = Write("ref.jsonl", "{\"x\": 1, \"y\": \"a\"}\n{\"x\": 2, \"y\": \"b\"}\n");
        string current = problem switch
        {
            "missing" => PathOf("missing.jsonl"),
            "malformed" => Write("bad.jsonl", "{\"x\": 1, \"y\": \"a\"}\n{\"x\": \n"),
            "missing-column" => Write("cur.jsonl", "{\"x\": 3}\n"),
            "empty" => Write("empty.jsonl", "{\"x\": null, \"y\": \"a\"}\n"),
            _ => Write("cur.jsonl", "{\"x\": 3, \"y\": \"a\"}\n{\"x\": 4, \"y\": \"c\"}\n"),
        };
        string[] columns = problem switch
        {
            "unknown-column" => ["--columns", "x,nope"],
            "empty" => ["--columns", "x:number"],
            "bad-kind" => ["--columns", "x:weird"],
            _ => [],
        };
        CliResult r = MonitorCli.Run(["monitor", "drift", "-r", reference, "-c", current, .. columns]);
        Assert.Equal(1, r.ExitCode);
        string error = r.Stderr.TrimEnd('\n');
        Assert.DoesNotContain('\n', error);
        Assert.StartsWith("quill: ", error);
        Assert.Contains(message, error);
    }
}
