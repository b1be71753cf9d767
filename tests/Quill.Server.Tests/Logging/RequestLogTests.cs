// quill serve --log: a row per request (whole and streamed), the text left out on request, the size bound, drift in /metrics, failures unseen.
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Quill.Server.Logging;

namespace Quill.Server.Tests.Logging;

[Collection(LoggedServerCollection.Name)]
public sealed class RequestLogTests(LoggedServerFixture server)
{
    [Fact]
    public async Task WholeAndStreamedRequestsAppearAsRows()
    {
        using HttpClient client = server.Client();
        string marker = Guid.NewGuid().ToString("N");
        await RawApi.PostOkAsync(client, "v1/chat/completions",
            $$"""{"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"whole {{marker}}"}],"max_tokens":4,"logprobs":true}""");
        var events = await RawApi.StreamAsync(client, "v1/completions", $$"""{"prompt":"streamed {{marker}}","max_tokens":3,"stream":true}""");
        foreach (JsonElement choice in events.SelectMany(e => e.GetProperty("choices").EnumerateArray()))
            Assert.True(!choice.TryGetProperty("logprobs", out JsonElement lp) || lp.ValueKind == JsonValueKind.Null, "logprobs the client did not ask for");
        var rows = await server.RowsAsync(2, $"prompt LIKE '%{marker}'");
        Assert.Equal(2, rows.Count);
        // The rows are written after each response is sent, so a row can land after the next request's: find them by route.
        var chat = rows.Single(r => (string?)r["route"] == "/v1/chat/completions");
        var completion = rows.Single(r => (string?)r["route"] == "/v1/completions");
        Assert.Equal($"whole {marker}", chat["prompt"]); // the last user message
        Assert.Equal($"streamed {marker}", completion["prompt"]);
        foreach (var row in rows)
        {
            Assert.Equal(server.ModelId, row["model"]);
            Assert.True((long)row["prompt_tokens"]! > 0);
            Assert.InRange((long)row["completion_tokens"]!, 1, 4);
            Assert.True((double)row["latency_ms"]! > 0);
            Assert.True((double)row["ttft_ms"]! >= 0 && (double)row["ttft_ms"]! <= (double)row["latency_ms"]!);
            Assert.Contains((string)row["finish_reason"]!, (string[])["stop", "length"]);
            Assert.Equal(200L, row["status"]);
            Assert.Null(row["guard_score"]);
            Assert.True(DateTimeOffset.TryParse((string)row["time"]!, out _) && ((string)row["time"]!).EndsWith('Z'));
        }
        Assert.True((double)chat["mean_logprob"]! <= 0); // computed whether or not the client asked for logprobs
        Assert.True((double)completion["mean_logprob"]! <= 0);
    }

    [Fact]
    public async Task AFailedRequestIsLoggedWithItsStatus()
    {
        using HttpClient client = server.Client();
        string marker = Guid.NewGuid().ToString("N");
        using HttpResponseMessage bad = await RawApi.PostAsync(client, "v1/chat/completions", $$"""{"model":"{{marker}}","messages":[]}""");
        Assert.Equal(404, (int)bad.StatusCode);
        var rows = await server.RowsAsync(1, "status = 404");
        Assert.Contains(rows, r => (string)r["route"]! == "/v1/chat/completions" && r["prompt"] is null);
    }

    [Fact]
    public async Task MetricsShowTheLogAndTheLatestDrift()
    {
        using HttpClient client = server.Client();
        for (int i = 0; i < 3; i++) await RawApi.PostOkAsync(client, "v1/completions", """{"prompt":"drift check","max_tokens":1}""");
        string text = "";
        for (int attempt = 0; attempt < 100 && !text.Contains("quill_drift_detected{column=\"prompt_tokens\""); attempt++)
        {
            await Task.Delay(100);
            text = await client.GetStringAsync("metrics");
        }
        Assert.Contains("quill_drift_detected{column=\"prompt_tokens\",kind=\"number\",rule=\"ks p_value < 0.05\"} 1", text);
        Assert.Contains("quill_drift_share ", text);
        Assert.True(await RawApi.MetricAsync(client, "quill_request_log_rows_total") >= 3);
        Assert.Equal(0, await RawApi.MetricAsync(client, "quill_request_log_dropped_total"));
    }

    [Fact]
    public void TheGuardScoreIsReadFromTheRequestItems()
    {
        var context = new DefaultHttpContext();
        context.Request.Path = "/v1/chat/completions";
        context.Items[RequestLogRecord.GuardScoreKey] = 0.875;
        RequestLogEntry entry = new RequestLogRecord().Complete(context, DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(5), logText: true);
        Assert.Equal(0.875, entry.GuardScore);
        context.Items[RequestLogRecord.GuardScoreKey] = "not a number";
        Assert.Null(new RequestLogRecord().Complete(context, DateTimeOffset.UtcNow, TimeSpan.Zero, logText: true).GuardScore);
    }
}

/// <summary>Servers and writers of their own: text left out, the size bound, a log that fails.</summary>
public sealed class RequestLogOptionTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("quill-log-options-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private sealed class Fixture(RequestLogOptions log) : ServerFixture
    {
        protected override ServerOptions Options(string modelPath) => base.Options(modelPath) with { RequestLog = log };
    }

    [Fact]
    public async Task NoLogTextLeavesThePromptOut()
    {
        string path = Path.Combine(_folder, "no-text.db");
        var fixture = new Fixture(new RequestLogOptions { Path = path, LogText = false });
        await fixture.InitializeAsync();
        try
        {
            using HttpClient client = fixture.Client();
            await RawApi.PostOkAsync(client, "v1/chat/completions", """{"messages":[{"role":"user","content":"secret"}],"max_tokens":2}""");
        }
        finally
        {
            await fixture.DisposeAsync(); // stopping flushes the queue
        }
        var row = Assert.Single(LoggedServerFixture.ReadRows(path));
        Assert.Null(row["prompt"]);
        Assert.True((long)row["prompt_tokens"]! > 0);
    }

    [Fact]
    public async Task LogEmbeddingsStoresThePromptsVectorAndDriftReadsIt()
    {
        string path = Path.Combine(_folder, "embeddings.db");
        var fixture = new Fixture(new RequestLogOptions { Path = path, LogEmbeddings = true });
        await fixture.InitializeAsync();
        try
        {
            using HttpClient client = fixture.Client();
            foreach (string q in (string[])["where is my parcel", "reset my password"])
                await RawApi.PostOkAsync(client, "v1/chat/completions", $$"""{"messages":[{"role":"user","content":"{{q}}"}],"max_tokens":1}""");
        }
        finally
        {
            await fixture.DisposeAsync();
        }
        var rows = LoggedServerFixture.ReadRows(path);
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal(384 * sizeof(float), ((byte[])r["embedding"]!).Length)); // all-MiniLM-L6-v2's vectors
        Quill.Monitoring.Data.Sample sample = Quill.Monitoring.Data.SampleReader.Read(path);
        Assert.All(sample.Embeddings["prompt"], v => Assert.Equal(384, v!.Length));
    }

    [Fact]
    public void TheSizeBoundDeletesTheOldestRows()
    {
        string path = Path.Combine(_folder, "bounded.db");
        const long bound = 256 * 1024;
        using (var writer = new RequestLogWriter(new RequestLogOptions { Path = path, MaxBytes = bound, QueueCapacity = 10_000 }, null))
        {
            string filler = new('x', 1000);
            for (int n = 0; n < 2000; n++)
            {
                writer.Enqueue(new RequestLogEntry(DateTimeOffset.UtcNow, "/v1/completions", "m", n, 1, 1, 1, "stop", null, null, 200, $"{n} {filler}"));
            }
        }
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        long Scalar(string sql)
        {
            using var c = connection.CreateCommand();
            c.CommandText = sql;
            return Convert.ToInt64(c.ExecuteScalar());
        }
        long used = (Scalar("PRAGMA page_count") - Scalar("PRAGMA freelist_count")) * Scalar("PRAGMA page_size");
        Assert.True(used <= bound, $"{used} bytes in use, bound {bound}");
        Assert.True(new FileInfo(path).Length <= bound * 3 / 2, $"file {new FileInfo(path).Length} bytes"); // the bound plus about one batch
        Assert.Equal(1999, Scalar("SELECT max(prompt_tokens) FROM requests")); // the newest row is kept
        Assert.True(Scalar("SELECT min(prompt_tokens) FROM requests") > 1000); // the oldest went
    }

    [Fact]
    public async Task ALogWriteFailureNeverFailsARequest()
    {
        string path = Path.Combine(_folder, "failing.db");
        var fixture = new Fixture(new RequestLogOptions { Path = path });
        await fixture.InitializeAsync();
        try
        {
            using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
            {
                connection.Open();
                using var drop = connection.CreateCommand();
                drop.CommandText = "DROP TABLE requests"; // every later insert fails
                drop.ExecuteNonQuery();
            }
            using HttpClient client = fixture.Client();
            JsonElement whole = await RawApi.PostOkAsync(client, "v1/completions", """{"prompt":"still served","max_tokens":2}""");
            Assert.Equal("text_completion", whole.GetProperty("object").GetString());
            var events = await RawApi.StreamAsync(client, "v1/completions", """{"prompt":"still streamed","max_tokens":2,"stream":true}""");
            Assert.NotEmpty(events);
            double errors = 0;
            for (int attempt = 0; attempt < 100 && errors < 2; attempt++)
            {
                await Task.Delay(50);
                errors = await RawApi.MetricAsync(client, "quill_request_log_errors_total");
            }
            Assert.Equal(2, errors);
        }
        finally
        {
            await fixture.DisposeAsync();
        }
    }
}
