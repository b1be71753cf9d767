// Reads one side of a drift comparison from a JSONL file, a CSV file or a `quill serve --log` database with an optional time window.
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Quill.Monitoring.Data;

/// <summary>
/// The format follows the name: .jsonl/.ndjson/.json one JSON object per line; .csv a header then rows (RFC 4180
/// quoting); .db/.sqlite/.sqlite3, or a file starting with SQLite's magic, a request log. A log may carry a time window
/// as <c>requests.db@SINCE..UNTIL</c> (ISO 8601, UTC when no offset; either end may be empty; SINCE inclusive, UNTIL
/// exclusive). Every problem is an <see cref="InvalidDataException"/> or <see cref="FileNotFoundException"/> whose
/// message names the file (and line) and what was wrong.
/// </summary>
public static class SampleReader
{
    private static readonly byte[] SqliteMagic = "SQLite format 3\0"u8.ToArray();

    /// <summary>
    /// Reads <paramref name="spec"/> (a path, for a log optionally @SINCE..UNTIL); <paramref name="since"/> and
    /// <paramref name="until"/> window a log that names no window of its own.
    /// </summary>
    public static Sample Read(string spec, DateTimeOffset? since = null, DateTimeOffset? until = null)
    {
        string path = spec;
        string? window = null;
        int at = spec.LastIndexOf('@');
        if (at > 0 && !File.Exists(spec))
        {
            path = spec[..at];
            window = spec[(at + 1)..];
        }
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        if (IsSqlite(path))
        {
            if (window is not null) (since, until) = ParseWindow(window, spec);
            return ReadLog(path, spec, since, until, tail: null);
        }
        if (window is not null) throw new InvalidDataException($"{spec}: a time window (@SINCE..UNTIL) applies to a request log only, and {path} is not one");
        string extension = Path.GetExtension(path).ToLowerInvariant();
        return extension switch
        {
            ".csv" => ReadCsv(path),
            ".jsonl" or ".ndjson" or ".json" => ReadJsonLines(path),
            _ => throw new InvalidDataException($"{path}: unknown format; expected a .jsonl, .csv or request-log .db file"),
        };
    }

    /// <summary>The newest <paramref name="rows"/> rows of a request log (for <c>quill monitor watch</c>).</summary>
    public static Sample ReadLogTail(string path, int rows)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        if (!IsSqlite(path)) throw new InvalidDataException($"{path}: not a SQLite request log (quill serve --log)");
        return ReadLog(path, $"{path} (last {rows} rows)", null, null, rows);
    }

    /// <summary>Parses SINCE..UNTIL; an end with no offset is UTC.</summary>
    public static (DateTimeOffset? Since, DateTimeOffset? Until) ParseWindow(string window, string spec)
    {
        int dots = window.IndexOf("..", StringComparison.Ordinal);
        if (dots < 0) throw new InvalidDataException($"{spec}: expected a time window SINCE..UNTIL after '@', found '{window}'");
        return (ParseTime(window[..dots], spec), ParseTime(window[(dots + 2)..], spec));
    }

    /// <summary>An ISO 8601 time (UTC when no offset), or null for an empty string.</summary>
    public static DateTimeOffset? ParseTime(string text, string where)
    {
        if (text.Length == 0) return null;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
            return time;
        throw new InvalidDataException($"{where}: '{text}' is not an ISO 8601 time (e.g. 2026-12-01 or 2026-12-01T12:00:00Z)");
    }

    private static bool IsSqlite(string path)
    {
        using var stream = File.OpenRead(path);
        var head = new byte[SqliteMagic.Length];
        return stream.Read(head) == head.Length && head.AsSpan().SequenceEqual(SqliteMagic);
    }

    private static Sample ReadLog(string path, string source, DateTimeOffset? since, DateTimeOffset? until, int? tail)
    {
        var sample = new Sample(source);
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        using var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            using var check = connection.CreateCommand();
            check.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $t";
            check.Parameters.AddWithValue("$t", RequestLogSchema.Table);
            if (Convert.ToInt64(check.ExecuteScalar(), CultureInfo.InvariantCulture) == 0)
                throw new InvalidDataException($"{path}: no '{RequestLogSchema.Table}' table; expected a request log written by quill serve --log");
            string[] names = [.. RequestLogSchema.Columns.Select(c => c.Name)];
            using var select = connection.CreateCommand();
            var where = new List<string>();
            if (since is { } s)
            {
                where.Add("time >= $since");
                select.Parameters.AddWithValue("$since", LogTime(s));
            }
            if (until is { } u)
            {
                where.Add("time < $until");
                select.Parameters.AddWithValue("$until", LogTime(u));
            }
            string filter = where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where);
            string inner = $"SELECT id, {string.Join(", ", names)}, embedding FROM {RequestLogSchema.Table}{filter}";
            select.CommandText = tail is { } n ? $"SELECT * FROM ({inner} ORDER BY id DESC LIMIT {n}) ORDER BY id" : inner + " ORDER BY id";
            foreach ((string name, Drift.ColumnKind kind) in RequestLogSchema.Columns) sample.KnownKinds[name] = kind;
            var embeddings = new List<float[]?>();
            using SqliteDataReader reader = select.ExecuteReader();
            while (reader.Read())
            {
                var row = new List<KeyValuePair<string, object?>>(names.Length);
                for (int i = 0; i < names.Length; i++)
                {
                    object? value = reader.IsDBNull(i + 1) ? null : reader.GetValue(i + 1);
                    row.Add(new(names[i], value switch
                    {
                        long l => RequestLogSchema.Columns[i].Kind == Drift.ColumnKind.Number ? (double)l : l.ToString(CultureInfo.InvariantCulture),
                        double d => d,
                        null => null,
                        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
                    }));
                }
                sample.AddRow(row);
                embeddings.Add(reader.IsDBNull(names.Length + 1) ? null : RequestLogSchema.FromBlob((byte[])reader.GetValue(names.Length + 1)));
            }
            if (embeddings.Any(e => e is not null)) sample.Embeddings["prompt"] = embeddings;
            foreach (string name in names) if (!sample.HasColumn(name)) sample.AddColumnIfMissing(name);
            return sample;
        }
        catch (SqliteException e)
        {
            throw new InvalidDataException($"{path}: cannot read the request log ({e.Message.TrimEnd('.')})", e);
        }
    }

    /// <summary>A time as the log's <c>time</c> column writes it.</summary>
    public static string LogTime(DateTimeOffset time) => time.UtcDateTime.ToString(RequestLogSchema.TimeFormat, CultureInfo.InvariantCulture);

    private static Sample ReadJsonLines(string path)
    {
        var sample = new Sample(path);
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(line);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: malformed JSON ({e.Message.Split(" Path:")[0].TrimEnd('.')})", e);
            }
            using (document)
            {
                JsonElement root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    string found = root.ValueKind.ToString().ToLowerInvariant();
                    throw new InvalidDataException($"{path}:{lineNumber}: expected a JSON object per line, found {found}");
                }
                sample.AddRow(root.EnumerateObject().Select(p => new KeyValuePair<string, object?>(p.Name, CellOf(p.Value))));
            }
        }
        return sample;
    }

    private static object? CellOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.String => value.GetString(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => null,
        _ => value.GetRawText(),
    };

    private static Sample ReadCsv(string path)
    {
        var sample = new Sample(path);
        using var reader = new StreamReader(path, Encoding.UTF8);
        int line = 1;
        List<string>? header = null;
        while (ReadCsvRecord(reader, path, ref line) is { } record)
        {
            if (header is null)
            {
                header = record;
                if (header.Distinct(StringComparer.Ordinal).Count() != header.Count)
                    throw new InvalidDataException($"{path}:1: the header names a column twice");
                continue;
            }
            if (record.Count == 1 && record[0].Length == 0) continue; // a blank line
            if (record.Count != header.Count)
                throw new InvalidDataException($"{path}:{line - 1}: expected {header.Count} fields as in the header, found {record.Count}");
            sample.AddRow(header.Select((name, i) => new KeyValuePair<string, object?>(name, record[i].Length == 0 ? null : record[i])));
        }
        if (header is null) throw new InvalidDataException($"{path}: empty; expected a header line");
        foreach (string name in header) sample.AddColumnIfMissing(name);
        return sample;
    }

    /// <summary>One CSV record (fields may be quoted, with "" for a quote and line breaks inside), or null at the end.</summary>
    private static List<string>? ReadCsvRecord(StreamReader reader, string path, ref int line)
    {
        if (reader.Peek() < 0) return null;
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false, wasQuoted = false;
        int startLine = line;
        while (true)
        {
            int c = reader.Read();
            if (c < 0)
            {
                if (quoted) throw new InvalidDataException($"{path}:{startLine}: a quoted field is never closed");
                fields.Add(field.ToString());
                return fields;
            }
            if (quoted)
            {
                if (c == '"')
                {
                    if (reader.Peek() == '"') { reader.Read(); field.Append('"'); }
                    else quoted = false;
                }
                else
                {
                    if (c == '\n') line++;
                    field.Append((char)c);
                }
                continue;
            }
            switch (c)
            {
                case '"' when field.Length == 0 && !wasQuoted:
                    quoted = wasQuoted = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    wasQuoted = false;
                    break;
                case '\r':
                    break;
                case '\n':
                    line++;
                    fields.Add(field.ToString());
                    return fields;
                default:
                    field.Append((char)c);
                    break;
            }
        }
    }
}
