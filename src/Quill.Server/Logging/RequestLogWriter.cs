// The request log's writer: a bounded queue drained by one background task into SQLite (WAL), keeping the file under its size bound.
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Quill.Embeddings;
using Quill.Monitoring.Data;

namespace Quill.Server.Logging;

/// <summary>
/// Requests only enqueue (<see cref="Enqueue(RequestLogEntry)"/>: never blocks, never throws); the task writes batches in one
/// transaction each. A full queue drops the row (counted as dropped); a failed write (a locked or damaged file, a full
/// disk) drops its batch (counted as errors) and the writer carries on. After each batch, when the pages in use pass
/// <see cref="RequestLogOptions.MaxBytes"/>, the oldest rows are deleted down to 90% of it; SQLite reuses their pages, so
/// the file stops growing. WAL checkpoints run every 256 pages to keep the -wal file small too.
/// </summary>
internal sealed class RequestLogWriter : IDisposable
{
    private readonly Channel<RequestLogEntry> _queue;
    private readonly RequestLogOptions _options;
    private readonly Func<ITextEmbedder>? _embedder;
    private readonly SqliteConnection _connection;
    private readonly Task _drain;

    /// <summary>Rows written per transaction at most; the file may pass its bound by about one batch before the oldest rows go.</summary>
    private const int BatchRows = 64;
    private long _written, _dropped, _errors, _deleted;

    public RequestLogWriter(RequestLogOptions options, Func<ITextEmbedder>? embedder)
    {
        _options = options;
        _embedder = options.LogEmbeddings ? embedder : null;
        string? folder = Path.GetDirectoryName(Path.GetFullPath(options.Path));
        if (folder is not null && !Directory.Exists(folder)) throw new ArgumentException($"--log {options.Path}: the folder {folder} does not exist");
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = options.Path, Pooling = false }.ToString());
        try
        {
            _connection.Open();
            Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=256; PRAGMA busy_timeout=2000;");
            Execute(RequestLogSchema.Create);
        }
        catch (SqliteException e)
        {
            _connection.Dispose();
            throw new IOException($"--log {options.Path}: cannot open the request log ({e.Message.TrimEnd('.')})", e);
        }
        _queue = Channel.CreateBounded<RequestLogEntry>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true, FullMode = BoundedChannelFullMode.Wait, // Wait makes TryWrite return false when full: the row is dropped
        });
        _drain = Task.Run(DrainAsync);
    }

    /// <summary>Whether prompt text is stored.</summary>
    public bool LogText => _options.LogText;

    /// <summary>Queues a row; drops it (and counts it) when the queue is full.</summary>
    public void Enqueue(RequestLogEntry row)
    {
        if (!_queue.Writer.TryWrite(row)) Interlocked.Increment(ref _dropped);
    }

    /// <summary>Builds a row now and queues it; a row that fails to build is counted as an error, never thrown.</summary>
    public void Enqueue(Func<RequestLogEntry> build)
    {
        RequestLogEntry row;
        try
        {
            row = build();
        }
        catch (Exception)
        {
            Interlocked.Increment(ref _errors);
            return;
        }
        Enqueue(row);
    }

    /// <summary>The log's counters in Prometheus text.</summary>
    public string RenderMetrics()
    {
        var s = new StringBuilder();
        Counter(s, "quill_request_log_rows_total", "Rows written to the request log", Interlocked.Read(ref _written));
        Counter(s, "quill_request_log_dropped_total", "Rows dropped because the request log's queue was full", Interlocked.Read(ref _dropped));
        Counter(s, "quill_request_log_errors_total", "Rows lost to failed request-log writes", Interlocked.Read(ref _errors));
        Counter(s, "quill_request_log_deleted_total", "Oldest rows deleted to keep the request log under its size bound", Interlocked.Read(ref _deleted));
        return s.ToString();
    }

    private static void Counter(StringBuilder s, string name, string help, long value) =>
        s.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(" counter\n")
            .Append(name).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');

    private async Task DrainAsync()
    {
        var batch = new List<RequestLogEntry>();
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < BatchRows && _queue.Reader.TryRead(out RequestLogEntry? row)) batch.Add(row);
            try
            {
                Write(batch);
                Interlocked.Add(ref _written, batch.Count);
                if (_options.MaxBytes > 0) Interlocked.Add(ref _deleted, KeepUnderBound());
            }
            catch (Exception)
            {
                // A failed write (or embedding) loses its batch, never the writer: requests must not notice the log.
                Interlocked.Add(ref _errors, batch.Count);
            }
        }
    }

    private void Write(List<RequestLogEntry> rows)
    {
        float[]?[] vectors = new float[rows.Count][];
        if (_embedder is not null)
        {
            int[] withText = [.. Enumerable.Range(0, rows.Count).Where(i => !string.IsNullOrEmpty(rows[i].Prompt))];
            if (withText.Length > 0)
            {
                float[][] embedded = _embedder().Embed([.. withText.Select(i => rows[i].Prompt!)]).Vectors;
                for (int k = 0; k < withText.Length; k++) vectors[withText[k]] = embedded[k];
            }
        }
        using SqliteTransaction transaction = _connection.BeginTransaction();
        using SqliteCommand insert = _connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO requests (time, route, model, prompt_tokens, completion_tokens, latency_ms, ttft_ms, finish_reason, " +
            "mean_logprob, guard_score, status, prompt, embedding) VALUES ($time, $route, $model, $pt, $ct, $lat, $ttft, $finish, $lp, $guard, $status, " +
            "$prompt, $embedding)";
        for (int i = 0; i < rows.Count; i++)
        {
            RequestLogEntry r = rows[i];
            insert.Parameters.Clear();
            insert.Parameters.AddWithValue("$time", SampleReader.LogTime(r.Time));
            insert.Parameters.AddWithValue("$route", r.Route);
            insert.Parameters.AddWithValue("$model", (object?)r.Model ?? DBNull.Value);
            insert.Parameters.AddWithValue("$pt", (object?)r.PromptTokens ?? DBNull.Value);
            insert.Parameters.AddWithValue("$ct", (object?)r.CompletionTokens ?? DBNull.Value);
            insert.Parameters.AddWithValue("$lat", r.LatencyMs);
            insert.Parameters.AddWithValue("$ttft", (object?)r.TtftMs ?? DBNull.Value);
            insert.Parameters.AddWithValue("$finish", (object?)r.FinishReason ?? DBNull.Value);
            insert.Parameters.AddWithValue("$lp", (object?)r.MeanLogprob ?? DBNull.Value);
            insert.Parameters.AddWithValue("$guard", (object?)r.GuardScore ?? DBNull.Value);
            insert.Parameters.AddWithValue("$status", r.Status);
            insert.Parameters.AddWithValue("$prompt", (object?)r.Prompt ?? DBNull.Value);
            insert.Parameters.AddWithValue("$embedding", vectors[i] is { } v && r.Prompt is not null ? RequestLogSchema.ToBlob(v) : DBNull.Value);
            insert.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    /// <summary>Deletes the oldest rows while the pages in use pass the bound; returns how many went.</summary>
    private long KeepUnderBound()
    {
        long deleted = 0;
        for (int round = 0; round < 8 && UsedBytes() > _options.MaxBytes; round++)
        {
            long rows = Scalar("SELECT count(*) FROM requests");
            if (rows == 0) break;
            double over = 1 - 0.9 * _options.MaxBytes / (double)UsedBytes();
            long remove = Math.Max(1, (long)Math.Ceiling(rows * over));
            using SqliteCommand delete = _connection.CreateCommand();
            delete.CommandText = "DELETE FROM requests WHERE id IN (SELECT id FROM requests ORDER BY id LIMIT $n)";
            delete.Parameters.AddWithValue("$n", remove);
            deleted += delete.ExecuteNonQuery();
        }
        return deleted;
    }

    private long UsedBytes() => (Scalar("PRAGMA page_count") - Scalar("PRAGMA freelist_count")) * Scalar("PRAGMA page_size");

    private long Scalar(string sql)
    {
        using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private void Execute(string sql)
    {
        using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Stops taking rows, writes those queued (waiting up to 10 s), checkpoints and closes the file.</summary>
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _drain.Wait(TimeSpan.FromSeconds(10));
        try { Execute("PRAGMA wal_checkpoint(TRUNCATE);"); }
        catch (SqliteException) { }
        _connection.Dispose();
    }
}
