// One transaction of a SqliteVectorStore.
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using Quill.Search.Chunking;

namespace Quill.Search.Storage.Sqlite;

/// <summary>Writes inside one SQLite transaction; the FTS5 rows follow the chunks through triggers.</summary>
internal sealed class SqliteVectorStoreBatch : VectorStoreBatch
{
    private readonly SqliteVectorStore _store;
    private readonly SqliteTransaction _transaction;
    private readonly SqliteCommand _insertChunk;
    private bool _done;

    internal SqliteVectorStoreBatch(SqliteVectorStore store, SqliteTransaction transaction)
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

    public override long StartFile(SourceFile file)
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

    public override void AddChunk(long fileId, int ordinal, TextChunk chunk, ReadOnlySpan<float> vector)
    {
        CheckLength(vector, _store.Dimensions);
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

    public override void CompleteFile(long fileId)
    {
        using SqliteCommand command = _store.Command("UPDATE files SET complete = 1 WHERE id = $id", _transaction);
        command.Parameters.AddWithValue("$id", fileId);
        command.ExecuteNonQuery();
    }

    public override int RemoveFile(long fileId)
    {
        using SqliteCommand chunks = _store.Command("DELETE FROM chunks WHERE file_id = $id", _transaction);
        chunks.Parameters.AddWithValue("$id", fileId);
        int removed = chunks.ExecuteNonQuery();
        using SqliteCommand file = _store.Command("DELETE FROM files WHERE id = $id", _transaction);
        file.Parameters.AddWithValue("$id", fileId);
        file.ExecuteNonQuery();
        return removed;
    }

    public override void Commit()
    {
        using SqliteCommand bump = _store.Command("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'", _transaction);
        bump.ExecuteNonQuery();
        _transaction.Commit();
        _done = true;
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        if (!_done) _transaction.Rollback();
        _insertChunk.Dispose();
        _transaction.Dispose();
    }
}
