// How `quill serve --log` records requests and, optionally, watches them for drift; part of ServerOptions.
namespace Quill.Server.Logging;

/// <summary>Settings of the request log (<see cref="RequestLogWriter"/>) and the in-process drift watch (<see cref="DriftMonitor"/>).</summary>
public sealed record RequestLogOptions
{
    /// <summary>The SQLite file (created with its table when missing, WAL mode).</summary>
    public required string Path { get; init; }

    /// <summary>Store the prompt text (the last user message; a completion's prompts); false is --no-log-text.</summary>
    public bool LogText { get; init; } = true;

    /// <summary>Store the prompt's vector from the server's embedding model (computed off the response path); --log-embeddings.</summary>
    public bool LogEmbeddings { get; init; }

    /// <summary>Largest size of the database's pages in use; the oldest rows are deleted beyond it. --log-max-mb, 0 for no bound.</summary>
    public long MaxBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Rows that may wait for the writer; a request finding the queue full is not logged and is counted in /metrics.</summary>
    public int QueueCapacity { get; init; } = 4096;

    /// <summary>A reference sample (JSONL, CSV or request log) the newest rows are compared with; null: no drift watch. --drift-reference.</summary>
    public string? DriftReference { get; init; }

    /// <summary>Newest rows compared with the reference; --drift-window.</summary>
    public int DriftWindow { get; init; } = 500;

    /// <summary>Seconds between drift checks; --drift-interval.</summary>
    public double DriftIntervalSeconds { get; init; } = 60;

    /// <summary>Throws <see cref="ArgumentException"/> for settings no log can run with.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path)) throw new ArgumentException("server options: --log needs a file path");
        if (MaxBytes < 0) throw new ArgumentException($"server options: --log-max-mb must be 0 (no bound) or more, found {MaxBytes / (1024 * 1024)}");
        if (QueueCapacity < 1) throw new ArgumentException($"server options: the log queue must hold at least one row, found {QueueCapacity}");
        if (DriftWindow < 2) throw new ArgumentException($"server options: --drift-window must be 2 or more, found {DriftWindow}");
        if (!(DriftIntervalSeconds > 0)) throw new ArgumentException($"server options: --drift-interval must be positive, found {DriftIntervalSeconds}");
        if (DriftReference is { } r && !File.Exists(r.Split('@')[0])) throw new ArgumentException($"server options: --drift-reference {r}: no such file");
    }
}
