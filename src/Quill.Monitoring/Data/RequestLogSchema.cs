// The request log's SQLite schema, shared by the server that writes it and the monitor that reads it.
namespace Quill.Monitoring.Data;

/// <summary>
/// One table, <c>requests</c>, one row per HTTP request, in WAL mode. <c>time</c> is UTC ISO 8601 with milliseconds
/// (fixed width, so text order is time order); <c>embedding</c> is little-endian float32s. Monitored columns and their
/// kinds are <see cref="Columns"/>; <c>id</c>, <c>time</c> and <c>embedding</c> are not compared.
/// </summary>
public static class RequestLogSchema
{
    /// <summary>The table's name.</summary>
    public const string Table = "requests";

    /// <summary>The time format of the <c>time</c> column.</summary>
    public const string TimeFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";

    /// <summary>The CREATE statements (idempotent).</summary>
    public const string Create = """
        CREATE TABLE IF NOT EXISTS requests (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            time TEXT NOT NULL,
            route TEXT NOT NULL,
            model TEXT,
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            latency_ms REAL,
            ttft_ms REAL,
            finish_reason TEXT,
            mean_logprob REAL,
            guard_score REAL,
            status INTEGER,
            prompt TEXT,
            embedding BLOB
        );
        CREATE INDEX IF NOT EXISTS requests_time ON requests(time);
        """;

    /// <summary>The columns a drift report compares, with their kinds.</summary>
    public static IReadOnlyList<(string Name, Drift.ColumnKind Kind)> Columns { get; } =
    [
        ("route", Drift.ColumnKind.Category), ("model", Drift.ColumnKind.Category), ("prompt_tokens", Drift.ColumnKind.Number),
        ("completion_tokens", Drift.ColumnKind.Number), ("latency_ms", Drift.ColumnKind.Number), ("ttft_ms", Drift.ColumnKind.Number),
        ("finish_reason", Drift.ColumnKind.Category), ("mean_logprob", Drift.ColumnKind.Number), ("guard_score", Drift.ColumnKind.Number),
        ("status", Drift.ColumnKind.Category), ("prompt", Drift.ColumnKind.Text),
    ];

    /// <summary>A float32 vector as the blob stored.</summary>
    public static byte[] ToBlob(ReadOnlySpan<float> vector) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector).ToArray();

    /// <summary>The vector of a stored blob.</summary>
    public static float[] FromBlob(byte[] blob) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(blob).ToArray();
}
