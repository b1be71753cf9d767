// A ServerFixture whose server records every request in a SQLite log and watches it for drift every 200 ms; not a test.
using Microsoft.Data.Sqlite;
using Quill.Server.Logging;

namespace Quill.Server.Tests.Logging;

/// <summary>
/// The drift reference says prompts are 1000 tokens long (they are a few), so the in-process watch finds prompt_tokens
/// drifted as soon as the log has two rows.
/// </summary>
public sealed class LoggedServerFixture : ServerFixture, IAsyncLifetime
{
    private readonly string _logFolder = Directory.CreateTempSubdirectory("quill-log-").FullName;

    public string LogPath => Path.Combine(_logFolder, "requests.db");

    protected override ServerOptions Options(string modelPath)
    {
        string reference = Path.Combine(_logFolder, "reference.jsonl");
        File.WriteAllLines(reference, Enumerable.Range(0, 50).Select(i => $"{{\"prompt_tokens\": {1000 + i}}}"));
        return base.Options(modelPath) with
        {
            RequestLog = new RequestLogOptions { Path = LogPath, DriftReference = reference, DriftWindow = 50, DriftIntervalSeconds = 0.2 },
        };
    }

    /// <summary>Rows of the log as column → value maps, oldest first, once at least <paramref name="count"/> are there (waits up to 10 s).</summary>
    public async Task<List<Dictionary<string, object?>>> RowsAsync(int count, string? where = null)
    {
        for (int attempt = 0; ; attempt++)
        {
            List<Dictionary<string, object?>> rows = ReadRows(LogPath, where);
            if (rows.Count >= count || attempt == 100) return rows;
            await Task.Delay(100);
        }
    }

    public static List<Dictionary<string, object?>> ReadRows(string path, string? where = null)
    {
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM requests" + (where is null ? "" : " WHERE " + where) + " ORDER BY id";
        using var reader = command.ExecuteReader();
        var rows = new List<Dictionary<string, object?>>();
        while (reader.Read())
        {
            var row = new Dictionary<string, object?>();
            for (int i = 0; i < reader.FieldCount; i++) row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_logFolder, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class LoggedServerCollection : ICollectionFixture<LoggedServerFixture>
{
    public const string Name = "logged server";
}
