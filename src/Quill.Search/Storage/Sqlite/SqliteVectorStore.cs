// A VectorStore in one SQLite file (WAL) with an FTS5 keyword index; not a search algorithm (ExactSearch, HnswIndex).
using Microsoft.Data.Sqlite;
using Quill.Search.Retrieval;
using Quill.Search.Vectors;

namespace Quill.Search.Storage.Sqlite;

/// <summary>
/// A SQLite database in WAL mode with tables meta (schema version, model name, dimensions, generation), files (path,
/// size, mtime, SHA-256, complete) and chunks (file, lines, bytes, text, vector as a float32 little-endian BLOB).
/// Writes go through <see cref="VectorStoreBatch"/>, one transaction each, so a process killed mid-way leaves every
/// committed batch and nothing of the one in flight. Chunk ids are never reused (AUTOINCREMENT): an index built beside
/// the store can tell new chunks from old by id. <see cref="Generation"/> grows with every committed batch.
/// Schema 2 adds chunks_fts, an FTS5 index over the chunk text (external content, kept in step by triggers, so it is
/// written in the same transaction as the chunks); a schema 1 store gets it, backfilled, when it is opened.
/// </summary>
public sealed class SqliteVectorStore : VectorStore
{
    /// <summary>The schema this code writes: 1 had no full-text index, 2 adds chunks_fts.</summary>
    public const int SchemaVersion = 2;

    // Porter stemming over unicode61 words, so "resetting" meets "reset"; codes like XR-7741 become the words xr 7741.
    private const string FullTextSchema = """
        CREATE VIRTUAL TABLE chunks_fts USING fts5(
            text, content='chunks', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2');
        CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
            INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
            INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END;
        CREATE TRIGGER chunks_fts_update AFTER UPDATE OF text ON chunks BEGIN
            INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
            INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text);
        END;
        """;

    private readonly SqliteConnection _connection;

    private SqliteVectorStore(string path, SqliteConnection connection, string modelName, int dimensions)
        : base(path, modelName, dimensions) => _connection = connection;

    public override string? LocalFile => Path;

    public override long Generation => Convert.ToInt64(Scalar("SELECT value FROM meta WHERE key = 'generation'"));

    public override long FileCount => Convert.ToInt64(Scalar("SELECT count(*) FROM files"));

    public override long ChunkCount => Convert.ToInt64(Scalar("SELECT count(*) FROM chunks"));

    /// <summary>Opens the store at <paramref name="path"/>, creating it for this model if there is none; refuses another model's store.</summary>
    public static new SqliteVectorStore OpenOrCreate(string path, string modelName, int dimensions)
    {
        bool exists = File.Exists(path) && new FileInfo(path).Length > 0;
        if (!exists)
        {
            string? folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
            if (folder is not null && !Directory.Exists(folder)) throw new DirectoryNotFoundException($"{path}: the folder {folder} does not exist");
        }
        SqliteConnection connection = Connect(path, SqliteOpenMode.ReadWriteCreate);
        try
        {
            if (!exists) CreateSchema(connection, modelName, dimensions);
            SqliteVectorStore store = Load(path, connection);
            store.RequireModel(modelName, dimensions);
            return store;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Opens an existing store whatever its model (for stats, or to learn which model to load).</summary>
    public static new SqliteVectorStore Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such vector store (quill index add creates one)", path);
        SqliteConnection connection = Connect(path, SqliteOpenMode.ReadWrite);
        try
        {
            return Load(path, connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public override StoredFile? FindFile(string path)
    {
        using SqliteCommand command = Command("SELECT id, path, size, mtime_ms, sha256, complete FROM files WHERE path = $path");
        command.Parameters.AddWithValue("$path", path);
        using SqliteDataReader reader = command.ExecuteReader();
        if (!reader.Read()) return null;
        return new StoredFile(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)), reader.GetString(4), reader.GetInt64(5) != 0);
    }

    public override IReadOnlyList<StoredFile> FindFilesUnder(string fullPath)
    {
        char separator = System.IO.Path.DirectorySeparatorChar;
        string folder = fullPath.EndsWith(separator) ? fullPath : fullPath + separator;
        using SqliteCommand command = Command("""
            SELECT id, path, size, mtime_ms, sha256, complete FROM files
            WHERE path = $path OR substr(path, 1, length($folder)) = $folder ORDER BY path
            """);
        command.Parameters.AddWithValue("$path", fullPath);
        command.Parameters.AddWithValue("$folder", folder);
        using SqliteDataReader reader = command.ExecuteReader();
        var files = new List<StoredFile>();
        while (reader.Read())
        {
            files.Add(new StoredFile(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)), reader.GetString(4), reader.GetInt64(5) != 0));
        }
        return files;
    }

    /// <summary>
    /// By BM25 (FTS5's bm25(), negated so that higher is better). The query goes through <see cref="Fts5Query.FromText"/>
    /// (words quoted, joined by OR), so FTS5 operators and punctuation in it are never parsed as syntax.
    /// </summary>
    public override ScoredItem[] KeywordSearch(string query, int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        string? match = Fts5Query.FromText(query);
        if (match is null) return [];
        using SqliteCommand command = Command(
            "SELECT rowid, bm25(chunks_fts) AS rank FROM chunks_fts WHERE chunks_fts MATCH $match ORDER BY rank, rowid LIMIT $n");
        command.Parameters.AddWithValue("$match", match);
        command.Parameters.AddWithValue("$n", n);
        using SqliteDataReader reader = command.ExecuteReader();
        var hits = new List<ScoredItem>();
        while (reader.Read()) hits.Add(new ScoredItem(reader.GetInt64(0), (float)-reader.GetDouble(1)));
        return hits.ToArray();
    }

    /// <summary>"ok", or what FTS5's integrity check finds wrong between chunks_fts and the chunks it indexes.</summary>
    public override string CheckFullTextIntegrity()
    {
        try
        {
            using SqliteCommand command = Command("INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('integrity-check', 1)");
            command.ExecuteNonQuery();
            return "ok";
        }
        catch (SqliteException e)
        {
            return e.Message;
        }
    }

    public override VectorStoreBatch BeginBatch() => new SqliteVectorStoreBatch(this, _connection.BeginTransaction());

    public override long[] ReadChunkIds()
    {
        var ids = new List<long>();
        using SqliteCommand command = Command("SELECT id FROM chunks ORDER BY id");
        using SqliteDataReader reader = command.ExecuteReader();
        while (reader.Read()) ids.Add(reader.GetInt64(0));
        return ids.ToArray();
    }

    public override (long[] Ids, float[] Vectors) ReadVectors()
    {
        using SqliteCommand command = Command("SELECT id, vector FROM chunks ORDER BY id");
        return ReadIdsAndVectors(command);
    }

    public override (long[] Ids, float[] Vectors) ReadVectors(IReadOnlyCollection<long> ids)
    {
        // A temporary table of the ids wanted, joined once: one query however many ids, and no SQL text built from them.
        using SqliteTransaction transaction = _connection.BeginTransaction();
        using (SqliteCommand create = Command("CREATE TEMP TABLE IF NOT EXISTS wanted_ids(id INTEGER PRIMARY KEY); DELETE FROM wanted_ids", transaction))
            create.ExecuteNonQuery();
        using (SqliteCommand insert = Command("INSERT OR IGNORE INTO wanted_ids(id) VALUES ($id)", transaction))
        {
            SqliteParameter id = insert.Parameters.Add("$id", SqliteType.Integer);
            foreach (long wanted in ids)
            {
                id.Value = wanted;
                insert.ExecuteNonQuery();
            }
        }
        using SqliteCommand select = Command("SELECT c.id, c.vector FROM chunks c JOIN wanted_ids w ON w.id = c.id ORDER BY c.id", transaction);
        (long[] Ids, float[] Vectors) found = ReadIdsAndVectors(select);
        transaction.Rollback();
        return found;
    }

    public override IReadOnlyList<StoredChunk> ReadChunks(IReadOnlyList<long> ids)
    {
        var found = new Dictionary<long, StoredChunk>();
        using SqliteCommand command = Command(
            "SELECT c.id, f.path, c.start_line, c.end_line, c.start_byte, c.end_byte, c.text FROM chunks c JOIN files f ON f.id = c.file_id WHERE c.id = $id");
        SqliteParameter id = command.Parameters.Add("$id", SqliteType.Integer);
        foreach (long wanted in ids)
        {
            id.Value = wanted;
            using SqliteDataReader reader = command.ExecuteReader();
            if (reader.Read())
            {
                found[wanted] = new StoredChunk(reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3),
                    reader.GetInt64(4), reader.GetInt64(5), reader.GetString(6));
            }
        }
        return ids.Where(found.ContainsKey).Select(i => found[i]).ToList();
    }

    /// <summary>"ok" or the problems SQLite's integrity check lists.</summary>
    public override string CheckIntegrity() => Convert.ToString(Scalar("PRAGMA integrity_check")) ?? "";

    protected override void Dispose(bool disposing)
    {
        if (disposing) _connection.Dispose();
    }

    internal SqliteCommand Command(string sql, SqliteTransaction? transaction = null)
    {
        SqliteCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    private (long[] Ids, float[] Vectors) ReadIdsAndVectors(SqliteCommand command)
    {
        var ids = new List<long>();
        var vectors = new List<float>();
        using SqliteDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            long id = reader.GetInt64(0);
            AppendVector(id, (byte[])reader.GetValue(1), vectors);
            ids.Add(id);
        }
        return (ids.ToArray(), vectors.ToArray());
    }

    private object? Scalar(string sql)
    {
        using SqliteCommand command = Command(sql);
        return command.ExecuteScalar();
    }

    private static SqliteConnection Connect(string path, SqliteOpenMode mode)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            Execute(connection, "PRAGMA busy_timeout = 5000");
            // WAL: readers never block the writer, and a commit is one append; NORMAL sync survives a killed process.
            string journal = Convert.ToString(ExecuteScalar(connection, "PRAGMA journal_mode = WAL")) ?? "";
            if (!journal.Equals("wal", StringComparison.OrdinalIgnoreCase)) NotAStore(path, $"journal mode '{journal}' (WAL could not be set)");
            Execute(connection, "PRAGMA synchronous = NORMAL");
            Execute(connection, "PRAGMA foreign_keys = ON");
            return connection;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            NotAStore(path, $"'{e.Message.TrimEnd('.')}' from SQLite");
            throw;
        }
    }

    private static void CreateSchema(SqliteConnection connection, string modelName, int dimensions)
    {
        using SqliteTransaction transaction = connection.BeginTransaction();
        Execute(connection, """
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE files (
                id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, size INTEGER NOT NULL, mtime_ms INTEGER NOT NULL,
                sha256 TEXT NOT NULL, complete INTEGER NOT NULL);
            CREATE TABLE chunks (
                id INTEGER PRIMARY KEY AUTOINCREMENT, file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
                ordinal INTEGER NOT NULL, start_line INTEGER NOT NULL, end_line INTEGER NOT NULL,
                start_byte INTEGER NOT NULL, end_byte INTEGER NOT NULL, text TEXT NOT NULL, vector BLOB NOT NULL);
            CREATE INDEX chunks_by_file ON chunks(file_id);
            """, transaction);
        Execute(connection, FullTextSchema, transaction);
        using (SqliteCommand insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO meta(key, value) VALUES ('schema_version', $v), ('model', $m), ('dimensions', $d), ('generation', '0')";
            insert.Parameters.AddWithValue("$v", SchemaVersion.ToString());
            insert.Parameters.AddWithValue("$m", modelName);
            insert.Parameters.AddWithValue("$d", dimensions.ToString());
            insert.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    private static SqliteVectorStore Load(string path, SqliteConnection connection)
    {
        var meta = new Dictionary<string, string>();
        try
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "SELECT key, value FROM meta";
            using SqliteDataReader reader = command.ExecuteReader();
            while (reader.Read()) meta[reader.GetString(0)] = reader.GetString(1);
        }
        catch (SqliteException)
        {
            NotAStore(path, "a SQLite database without Quill's meta table");
        }
        if (!meta.TryGetValue("schema_version", out string? version) || (version != "1" && version != SchemaVersion.ToString()))
            NotAStore(path, $"schema version {version ?? "(none)"} where 1 or {SchemaVersion} is expected");
        if (!meta.TryGetValue("model", out string? model) || !meta.TryGetValue("dimensions", out string? dims)
            || !int.TryParse(dims, out int dimensions) || dimensions < 1 || !meta.ContainsKey("generation"))
            NotAStore(path, "a meta table without model, dimensions and generation");
        if (version == "1") AddFullTextIndex(connection);
        return new SqliteVectorStore(path, connection, model!, int.Parse(meta["dimensions"]));
    }

    /// <summary>Schema 1 to 2: creates chunks_fts and its triggers and indexes every stored chunk, in one transaction.</summary>
    private static void AddFullTextIndex(SqliteConnection connection)
    {
        using SqliteTransaction transaction = connection.BeginTransaction();
        Execute(connection, FullTextSchema, transaction);
        Execute(connection, "INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild')", transaction);
        Execute(connection, $"UPDATE meta SET value = '{SchemaVersion}' WHERE key = 'schema_version'", transaction);
        transaction.Commit();
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    private static object? ExecuteScalar(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static void NotAStore(string path, string found) =>
        throw new InvalidDataException($"{path}: expected a Quill vector store (SQLite), found {found}");
}
