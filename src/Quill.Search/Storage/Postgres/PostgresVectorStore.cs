// A VectorStore in a PostgreSQL database (through Npgsql), shared by every replica that names the same URL.
using System.Data.Common;
using Npgsql;
using NpgsqlTypes;
using Quill.Search.Retrieval;
using Quill.Search.Vectors;

namespace Quill.Search.Storage.Postgres;

/// <summary>
/// Tables meta (schema version, model, dimensions, generation), files and chunks in one PostgreSQL schema (see
/// <see cref="PostgresLocation"/>), created on first use under an advisory lock so that replicas starting together
/// create them once. Chunks hold their vector as float32 little-endian bytea, as the SQLite store's BLOB, and a
/// generated tsvector (english: stemmed, stop words dropped) with a GIN index for keyword search, made from the chunk's
/// letter and digit runs (words, written by the batch) so that words split as FTS5's unicode61 splits them whatever the
/// server's locale (PostgreSQL's own parser reads XR-7741 as xr and the number -7741). Ids come from
/// identity columns and are never reused. Every batch is one transaction that bumps the generation, so a process killed
/// mid-add leaves the committed batches and nothing else, and a replica learns that the store changed with one read.
/// Text NUL characters, which PostgreSQL's text type cannot hold, are stored as U+FFFD.
/// </summary>
public sealed class PostgresVectorStore : VectorStore
{
    /// <summary>The table layout this code writes (meta's schema_version).</summary>
    public const int SchemaVersion = 1;

    private readonly NpgsqlDataSource _source;

    private PostgresVectorStore(PostgresLocation location, NpgsqlDataSource source, string modelName, int dimensions)
        : base(location.Display, modelName, dimensions)
    {
        Location = location;
        _source = source;
        Tables = $"\"{location.Schema}\"";
    }

    /// <summary>The parsed URL: connection string and schema.</summary>
    public PostgresLocation Location { get; }

    /// <summary>The quoted schema name that prefixes every table.</summary>
    internal string Tables { get; }

    public override string? LocalFile => null;

    public override long Generation => Convert.ToInt64(Scalar($"SELECT value::bigint FROM {Tables}.meta WHERE key = 'generation'"));

    public override long FileCount => Convert.ToInt64(Scalar($"SELECT count(*) FROM {Tables}.files"));

    public override long ChunkCount => Convert.ToInt64(Scalar($"SELECT count(*) FROM {Tables}.chunks"));

    /// <summary>Opens the store at <paramref name="url"/>, creating its schema for this model if there is none; refuses another model's store.</summary>
    public static new PostgresVectorStore OpenOrCreate(string url, string modelName, int dimensions)
    {
        PostgresLocation location = PostgresLocation.Parse(url);
        NpgsqlDataSource source = Connect(location);
        try
        {
            CreateIfMissing(location, source, modelName, dimensions);
            PostgresVectorStore store = Load(location, source);
            store.RequireModel(modelName, dimensions);
            return store;
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>Opens an existing store whatever its model; a database without one is a <see cref="FileNotFoundException"/>.</summary>
    public static new PostgresVectorStore Open(string url)
    {
        PostgresLocation location = PostgresLocation.Parse(url);
        NpgsqlDataSource source = Connect(location);
        try
        {
            return Load(location, source);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    public override StoredFile? FindFile(string path)
    {
        using NpgsqlCommand command = _source.CreateCommand($"SELECT id, path, size, mtime_ms, sha256, complete FROM {Tables}.files WHERE path = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = path });
        return ReadFiles(command).FirstOrDefault();
    }

    public override IReadOnlyList<StoredFile> FindFilesUnder(string fullPath)
    {
        char separator = System.IO.Path.DirectorySeparatorChar;
        string folder = fullPath.EndsWith(separator) ? fullPath : fullPath + separator;
        using NpgsqlCommand command = _source.CreateCommand($"""
            SELECT id, path, size, mtime_ms, sha256, complete FROM {Tables}.files
            WHERE path = $1 OR left(path, length($2)) = $2 ORDER BY path COLLATE "C"
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = fullPath });
        command.Parameters.Add(new NpgsqlParameter { Value = folder });
        return ReadFiles(command);
    }

    /// <summary>
    /// By ts_rank over the english tsvector (higher is better). The query goes through <see cref="TsQuery.FromText"/>
    /// (letter and digit runs as phrases joined by OR), so tsquery operators in it are never parsed as syntax.
    /// </summary>
    public override ScoredItem[] KeywordSearch(string query, int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        string? match = TsQuery.FromText(query);
        if (match is null) return [];
        using NpgsqlCommand command = _source.CreateCommand($"""
            SELECT c.id, ts_rank(c.tsv, q) AS rank FROM {Tables}.chunks c, to_tsquery('english', $1) q
            WHERE c.tsv @@ q ORDER BY rank DESC, c.id LIMIT $2
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = match });
        command.Parameters.Add(new NpgsqlParameter { Value = n });
        using NpgsqlDataReader reader = command.ExecuteReader();
        var hits = new List<ScoredItem>();
        while (reader.Read()) hits.Add(new ScoredItem(reader.GetInt64(0), reader.GetFloat(1)));
        return hits.ToArray();
    }

    /// <summary>"ok" when every chunk's stored tsvector is the one its text gives (it is a generated column, so it should be).</summary>
    public override string CheckFullTextIntegrity()
    {
        long stale = Convert.ToInt64(Scalar($"SELECT count(*) FROM {Tables}.chunks WHERE tsv IS DISTINCT FROM to_tsvector('english', words)"));
        return stale == 0 ? "ok" : $"{stale} chunks whose tsvector does not match their text";
    }

    /// <summary>"ok" when every vector has the store's size and every chunk's file exists (foreign keys keep the latter).</summary>
    public override string CheckIntegrity()
    {
        long wrong = Convert.ToInt64(Scalar($"SELECT count(*) FROM {Tables}.chunks WHERE length(vector) <> {Dimensions * sizeof(float)}"));
        long orphans = Convert.ToInt64(Scalar($"SELECT count(*) FROM {Tables}.chunks c LEFT JOIN {Tables}.files f ON f.id = c.file_id WHERE f.id IS NULL"));
        var problems = new List<string>();
        if (wrong > 0) problems.Add($"{wrong} chunks with a vector of the wrong size");
        if (orphans > 0) problems.Add($"{orphans} chunks without their file");
        return problems.Count == 0 ? "ok" : string.Join("; ", problems);
    }

    public override VectorStoreBatch BeginBatch()
    {
        NpgsqlConnection connection = _source.OpenConnection();
        try
        {
            return new PostgresVectorStoreBatch(this, connection, connection.BeginTransaction());
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public override long[] ReadChunkIds()
    {
        using NpgsqlCommand command = _source.CreateCommand($"SELECT id FROM {Tables}.chunks ORDER BY id");
        using NpgsqlDataReader reader = command.ExecuteReader();
        var ids = new List<long>();
        while (reader.Read()) ids.Add(reader.GetInt64(0));
        return ids.ToArray();
    }

    public override (long[] Ids, float[] Vectors) ReadVectors()
    {
        using NpgsqlCommand command = _source.CreateCommand($"SELECT id, vector FROM {Tables}.chunks ORDER BY id");
        return ReadIdsAndVectors(command);
    }

    public override (long[] Ids, float[] Vectors) ReadVectors(IReadOnlyCollection<long> ids)
    {
        using NpgsqlCommand command = _source.CreateCommand($"SELECT id, vector FROM {Tables}.chunks WHERE id = ANY($1) ORDER BY id");
        command.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        return ReadIdsAndVectors(command);
    }

    public override IReadOnlyList<StoredChunk> ReadChunks(IReadOnlyList<long> ids)
    {
        using NpgsqlCommand command = _source.CreateCommand($"""
            SELECT c.id, f.path, c.start_line, c.end_line, c.start_byte, c.end_byte, c.text
            FROM {Tables}.chunks c JOIN {Tables}.files f ON f.id = c.file_id WHERE c.id = ANY($1)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        var found = new Dictionary<long, StoredChunk>();
        using (NpgsqlDataReader reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                found[reader.GetInt64(0)] = new StoredChunk(reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3),
                    reader.GetInt64(4), reader.GetInt64(5), reader.GetString(6));
            }
        }
        return ids.Where(found.ContainsKey).Select(i => found[i]).ToList();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _source.Dispose();
    }

    private object? Scalar(string sql)
    {
        using NpgsqlCommand command = _source.CreateCommand(sql);
        return command.ExecuteScalar();
    }

    private (long[] Ids, float[] Vectors) ReadIdsAndVectors(NpgsqlCommand command)
    {
        var ids = new List<long>();
        var vectors = new List<float>();
        using NpgsqlDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            long id = reader.GetInt64(0);
            AppendVector(id, reader.GetFieldValue<byte[]>(1), vectors);
            ids.Add(id);
        }
        return (ids.ToArray(), vectors.ToArray());
    }

    private static List<StoredFile> ReadFiles(NpgsqlCommand command)
    {
        using NpgsqlDataReader reader = command.ExecuteReader();
        var files = new List<StoredFile>();
        while (reader.Read())
        {
            files.Add(new StoredFile(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)), reader.GetString(4), reader.GetBoolean(5)));
        }
        return files;
    }

    /// <summary>A pooled data source, checked with one round trip so that a wrong host, user or database fails here in one line.</summary>
    private static NpgsqlDataSource Connect(PostgresLocation location)
    {
        var builder = new NpgsqlSlimDataSourceBuilder(location.ConnectionString);
        builder.EnableArrays();
        NpgsqlDataSource source = builder.Build();
        try
        {
            using NpgsqlConnection connection = source.OpenConnection();
            return source;
        }
        catch (Exception e) when (e is DbException or TimeoutException or System.Net.Sockets.SocketException)
        {
            source.Dispose();
            throw new IOException($"{location.Display}: cannot connect to PostgreSQL: {e.Message.TrimEnd('.')}", e);
        }
    }

    private static void CreateIfMissing(PostgresLocation location, NpgsqlDataSource source, string modelName, int dimensions)
    {
        string s = $"\"{location.Schema}\"";
        using NpgsqlConnection connection = source.OpenConnection();
        using NpgsqlTransaction transaction = connection.BeginTransaction();
        // Replicas started together must not both create the tables: the first takes the lock, the others then find them.
        using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('quill-store:' || $1))", connection, transaction))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter { Value = location.Schema });
            lockCommand.ExecuteNonQuery();
        }
        using (var exists = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", connection, transaction))
        {
            exists.Parameters.Add(new NpgsqlParameter { Value = $"{s}.meta" });
            if ((bool)exists.ExecuteScalar()!) return;
        }
        using (var create = new NpgsqlCommand($"""
            CREATE SCHEMA IF NOT EXISTS {s};
            CREATE TABLE {s}.meta (key text PRIMARY KEY, value text NOT NULL);
            CREATE TABLE {s}.files (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, path text NOT NULL UNIQUE, size bigint NOT NULL,
                mtime_ms bigint NOT NULL, sha256 text NOT NULL, complete boolean NOT NULL);
            CREATE TABLE {s}.chunks (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                file_id bigint NOT NULL REFERENCES {s}.files(id) ON DELETE CASCADE,
                ordinal integer NOT NULL, start_line integer NOT NULL, end_line integer NOT NULL,
                start_byte bigint NOT NULL, end_byte bigint NOT NULL, text text NOT NULL, vector bytea NOT NULL,
                words text NOT NULL, tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', words)) STORED);
            CREATE INDEX chunks_by_file ON {s}.chunks(file_id);
            CREATE INDEX chunks_tsv ON {s}.chunks USING gin(tsv);
            """, connection, transaction))
        {
            create.ExecuteNonQuery();
        }
        using (var insert = new NpgsqlCommand(
            $"INSERT INTO {s}.meta(key, value) VALUES ('schema_version', $1), ('model', $2), ('dimensions', $3), ('generation', '0')",
            connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = SchemaVersion.ToString() });
            insert.Parameters.Add(new NpgsqlParameter { Value = modelName });
            insert.Parameters.Add(new NpgsqlParameter { Value = dimensions.ToString() });
            insert.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    private static PostgresVectorStore Load(PostgresLocation location, NpgsqlDataSource source)
    {
        string s = $"\"{location.Schema}\"";
        using (NpgsqlCommand exists = source.CreateCommand("SELECT to_regclass($1) IS NOT NULL"))
        {
            exists.Parameters.Add(new NpgsqlParameter { Value = $"{s}.meta" });
            if (!(bool)exists.ExecuteScalar()!)
            {
                throw new FileNotFoundException(
                    $"{location.Display}: no such vector store (schema {location.Schema} has no Quill tables; quill index add creates them)");
            }
        }
        var meta = new Dictionary<string, string>();
        using (NpgsqlCommand command = source.CreateCommand($"SELECT key, value FROM {s}.meta"))
        using (NpgsqlDataReader reader = command.ExecuteReader())
        {
            while (reader.Read()) meta[reader.GetString(0)] = reader.GetString(1);
        }
        if (!meta.TryGetValue("schema_version", out string? version) || version != SchemaVersion.ToString())
            NotAStore(location, $"schema version {version ?? "(none)"} where {SchemaVersion} is expected");
        if (!meta.TryGetValue("model", out string? model) || !meta.TryGetValue("dimensions", out string? dims)
            || !int.TryParse(dims, out int dimensions) || dimensions < 1 || !meta.ContainsKey("generation"))
            NotAStore(location, "a meta table without model, dimensions and generation");
        return new PostgresVectorStore(location, source, meta["model"], int.Parse(meta["dimensions"]));
    }

    private static void NotAStore(PostgresLocation location, string found) =>
        throw new InvalidDataException($"{location.Display}: expected a Quill vector store (PostgreSQL schema {location.Schema}), found {found}");
}
