// One transaction of a VectorStore: replace or remove files, add chunks with vectors, mark files complete.
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using Quill.Search.Chunking;

namespace Quill.Search.Storage;

/// <summary>
/// Writes inside one SQLite transaction. Disposing without <see cref="Commit"/> rolls everything back, as does a crash.
/// </summary>
public sealed class VectorStoreBatch : IDisposable
{
    private readonly VectorStore _store;
    private readonly SqliteTransaction _transaction;
    private readonly SqliteCommand _insertChunk;
    private bool _done;

    internal VectorStoreBatch(VectorStore store, SqliteConnection connection, SqliteTransaction transaction)
    {
        _store = store;
        _transaction = transaction;
        _insertChunk = store.Command("""
            INSERT INTO chunks(file_id, ordinal, start_line, end_line, start_byte, end_byte, text, vector)
            VALUES ($file, $ordinal, $start_line, $end_line, $start_byte, $end_byte, $text, $vector)
            """, transaction);
        foreach (string name in (string[])["$file", "$ordinal", "$start_line", "$end_line", "$start_byte", "$end_byte"])
            _insertChunk.Parameters.Add(name, SqliteType.Integer);
        _insertChunk.Parameters.Add("$text", SqliteType.Text);
        _insertChunk.Parameters.Add("$vector", SqliteType.Blob);
    }

    /// <summary>Creates or resets the file's row (marked incomplete) and deletes its old chunks; returns the file id.</summary>
    public long StartFile(SourceFile file)
    {
        using SqliteCommand upsert = _store.Command("""
            INSERT INTO files(path, size, mtime_ms, sha256, complete) VALUES ($path, $size, $mtime, $sha, 0)
            ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, sha256 = excluded.sha256, complete = 0
            RETURNING id
            """, _transaction);
        upsert.Parameters.AddWithValue("$path", file.Path);
        upsert.Parameters.AddWithValue("$size", file.Size);
        upsert.Parameters.AddWithValue("$mtime", file.Modified.ToUnixTimeMilliseconds());
        upsert.Parameters.AddWithValue("$sha", file.Sha256);
        long id = Convert.ToInt64(upsert.ExecuteScalar());
        using SqliteCommand delete = _store.Command("DELETE FROM chunks WHERE file_id = $id", _transaction);
        delete.Parameters.AddWithValue("$id", id);
        delete.ExecuteNonQuery();
        return id;
    }

    /// <summary>Adds one chunk of a started file with its vector (<see cref="VectorStore.Dimensions"/> floats).</summary>
    public void AddChunk(long fileId, int ordinal, TextChunk chunk, ReadOnlySpan<float> vector)
    {
        if (vector.Length != _store.Dimensions)
            throw new ArgumentException($"a vector of {_store.Dimensions} floats expected, found {vector.Length}", nameof(vector));
        SqliteParameterCollection p = _insertChunk.Parameters;
        p["$file"].Value = fileId;
        p["$ordinal"].Value = ordinal;
        p["$start_line"].Value = chunk.StartLine;
        p["$end_line"].Value = chunk.EndLine;
        p["$start_byte"].Value = chunk.StartByte;
        p["$end_byte"].Value = chunk.EndByte;
        p["$text"].Value = chunk.Text;
        p["$vector"].Value = MemoryMarshal.AsBytes(vector).ToArray();
        _insertChunk.ExecuteNonQuery();
    }

    /// <summary>Marks a file whose every chunk is now stored.</summary>
    public void CompleteFile(long fileId)
    {
        using SqliteCommand command = _store.Command("UPDATE files SET complete = 1 WHERE id = $id", _transaction);
        command.Parameters.AddWithValue("$id", fileId);
        command.ExecuteNonQuery();
    }

    /// <summary>Deletes a file's row and its chunks (their vectors and full-text rows with them); returns how many chunks went.</summary>
    public int RemoveFile(long fileId)
    {
        using SqliteCommand chunks = _store.Command("DELETE FROM chunks WHERE file_id = $id", _transaction);
        chunks.Parameters.AddWithValue("$id", fileId);
        int removed = chunks.ExecuteNonQuery();
        using SqliteCommand file = _store.Command("DELETE FROM files WHERE id = $id", _transaction);
        file.Parameters.AddWithValue("$id", fileId);
        file.ExecuteNonQuery();
        return removed;
    }

    /// <summary>Bumps the store's generation and commits.</summary>
    public void Commit()
    {
        using SqliteCommand bump = _store.Command("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'", _transaction);
        bump.ExecuteNonQuery();
        _transaction.Commit();
        _done = true;
    }

    public void Dispose()
    {
        if (!_done) _transaction.Rollback();
        _insertChunk.Dispose();
        _transaction.Dispose();
    }
}
