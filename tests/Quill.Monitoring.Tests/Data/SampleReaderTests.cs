// Reading samples: JSONL, CSV (quoted fields), a request log with a time window; and each kind of bad input as one message naming the file.
using Microsoft.Data.Sqlite;
using Quill.Monitoring.Data;
using Quill.Monitoring.Drift;

namespace Quill.Monitoring.Tests.Data;

public sealed class SampleReaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("quill-monitor-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private string File(string name, string text)
    {
        string path = Path.Combine(_folder, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void JsonLinesKeepNumbersStringsAndMissingCells()
    {
        Sample s = SampleReader.Read(File("a.jsonl", "{\"x\": 1.5, \"y\": \"a\"}\n\n{\"x\": 2, \"z\": true}\n"));
        Assert.Equal(2, s.RowCount);
        Assert.Equal([1.5, 2.0], s.Column("x"));
        Assert.Equal(["a", null], s.Column("y"));
        Assert.Equal([null, "true"], s.Column("z"));
    }

    [Fact]
    public void CsvReadsQuotedFieldsWithCommasQuotesAndLineBreaks()
    {
        Sample s = SampleReader.Read(File("a.csv", "x,text\r\n1,\"a, \"\"b\"\"\"\n2,\"two\nlines\"\n3,\n"));
        Assert.Equal(3, s.RowCount);
        Assert.Equal(["a, \"b\"", "two\nlines", null], s.Column("text"));
        Assert.Equal(ColumnKind.Number, DriftDetector.InferKind(s.Column("x")));
    }

    [Fact]
    public void ARequestLogIsReadWithItsKindsAndTimeWindow()
    {
        string path = LogWithRows(Path.Combine(_folder, "requests.db"), ("2026-12-01T10:00:00.000Z", 10), ("2026-12-02T10:00:00.000Z", 20),
            ("2026-12-03T10:00:00.000Z", 30));
        Sample all = SampleReader.Read(path);
        Assert.Equal(3, all.RowCount);
        Assert.Equal(ColumnKind.Number, all.KnownKinds["prompt_tokens"]);
        Sample window = SampleReader.Read(path + "@2026-12-02..2026-12-03");
        Assert.Equal([20.0], window.Column("prompt_tokens"));
        Assert.Equal([30.0], SampleReader.Read(path, since: DateTimeOffset.Parse("2026-12-03T00:00Z")).Column("prompt_tokens"));
        Assert.Equal([20.0, 30.0], SampleReader.ReadLogTail(path, 2).Column("prompt_tokens"));
    }

    /// <summary>A request log with one row per (time, prompt tokens).</summary>
    public static string LogWithRows(string path, params (string Time, int PromptTokens)[] rows)
    {
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var create = connection.CreateCommand();
            create.CommandText = RequestLogSchema.Create;
            create.ExecuteNonQuery();
            foreach (var (time, tokens) in rows)
            {
                using var insert = connection.CreateCommand();
                insert.CommandText = "INSERT INTO requests (time, route, model, prompt_tokens, status, prompt) " +
                    "VALUES ($t, '/v1/chat/completions', 'm', $p, 200, $q)";
                insert.Parameters.AddWithValue("$t", time);
                insert.Parameters.AddWithValue("$p", tokens);
                insert.Parameters.AddWithValue("$q", $"question {tokens}");
                insert.ExecuteNonQuery();
            }
        }
        return path;
    }

    [Fact]
    public void AMissingFileIsNamed()
    {
        string path = Path.Combine(_folder, "nope.jsonl");
        var e = Assert.Throws<FileNotFoundException>(() => SampleReader.Read(path));
        Assert.Equal($"{path}: no such file", e.Message);
    }

    [Fact]
    public void AMalformedJsonLineIsNamedWithItsLineNumber()
    {
        string path = File("bad.jsonl", "{\"x\": 1}\n{\"x\": 2,\n");
        var e = Assert.Throws<InvalidDataException>(() => SampleReader.Read(path));
        Assert.StartsWith($"{path}:2: malformed JSON", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        e = Assert.Throws<InvalidDataException>(() => SampleReader.Read(File("array.jsonl", "[1, 2]\n")));
        Assert.EndsWith("array.jsonl:1: expected a JSON object per line, found array", e.Message);
    }

    [Fact]
    public void ACsvRowWithTheWrongFieldCountIsNamed()
    {
        var e = Assert.Throws<InvalidDataException>(() => SampleReader.Read(File("bad.csv", "a,b\n1,2\n3\n")));
        Assert.EndsWith("bad.csv:3: expected 2 fields as in the header, found 1", e.Message);
        e = Assert.Throws<InvalidDataException>(() => SampleReader.Read(File("open.csv", "a\n\"never closed\n")));
        Assert.EndsWith("open.csv:2: a quoted field is never closed", e.Message);
    }

    [Fact]
    public void UnknownFormatsWindowsOnFilesAndTablesAreRefused()
    {
        Assert.EndsWith("x.txt: unknown format; expected a .jsonl, .csv or request-log .db file",
            Assert.Throws<InvalidDataException>(() => SampleReader.Read(File("x.txt", "hello"))).Message);
        string jsonl = File("a.jsonl", "{\"x\": 1}\n");
        Assert.Contains("applies to a request log only", Assert.Throws<InvalidDataException>(() => SampleReader.Read(jsonl + "@2026-01-01..")).Message);
        string log = LogWithRows(Path.Combine(_folder, "r.db"));
        Assert.Contains("'yesterday' is not an ISO 8601 time", Assert.Throws<InvalidDataException>(() => SampleReader.Read(log + "@yesterday..")).Message);
    }

    [Fact]
    public void AnUnknownColumnAMissingColumnAndAnEmptySampleAreNamed()
    {
        Sample reference = SampleReader.Read(File("ref.jsonl", "{\"x\": 1, \"y\": \"a\"}\n{\"x\": 2, \"y\": \"b\"}\n"));
        Sample current = SampleReader.Read(File("cur.jsonl", "{\"x\": 1}\n{\"x\": null}\n"));
        var unknown = Assert.Throws<InvalidDataException>(() => DriftDetector.ParseColumns("x:number,w", reference, current));
        Assert.EndsWith("ref.jsonl: unknown column 'w' named by --columns (it has: x, y)", unknown.Message);
        var missing = Assert.Throws<InvalidDataException>(() => DriftDetector.InferColumns(reference, current));
        Assert.Contains("cur.jsonl: no column 'y', which the other side has", missing.Message);
        Sample empty = SampleReader.Read(File("empty.jsonl", "{\"x\": null}\n"));
        using var detector = new DriftDetector();
        var e = Assert.Throws<InvalidDataException>(() => detector.Compare(reference, empty, [new ColumnSpec("x", ColumnKind.Number)]));
        Assert.EndsWith("empty.jsonl: column 'x' has no values (an empty sample cannot be compared)", e.Message);
        Assert.Throws<ArgumentException>(() => DriftDetector.ParseColumns("x:weird", reference, current));
    }
}
