// One transaction of a PostgresVectorStore: file rows by statement, chunk rows by binary COPY.
using Npgsql;
using NpgsqlTypes;
using Quill.Search.Chunking;
using Quill.Search.Retrieval;

namespace Quill.Search.Storage.Postgres;

/// <summary>
/// Writes inside one PostgreSQL transaction on a connection of its own. Chunks are buffered and written with one binary
/// COPY before the next file statement and at <see cref="Commit"/>, so a batch of chunks costs one round trip, not one
/// per chunk.
/// </summary>
internal sealed class PostgresVectorStoreBatch : VectorStoreBatch
{
    private readonly PostgresVectorStore _store;
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly List<PendingChunk> _pending = [];
    private bool _done;

    internal PostgresVectorStoreBatch(PostgresVectorStore store, NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        _store = store;
        _connection = connection;
        _transaction = transaction;
    }

    private string Tables => _store.Tables;

    public override long StartFile(SourceFile file)
    {
        Flush();
        using NpgsqlCommand upsert = Command($"""
            INSERT INTO {Tables}.files(path, size, mtime_ms, sha256, complete) VALUES ($1, $2, $3, $4, false)
            ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, sha256 = excluded.sha256, complete = false
            RETURNING id
            """, file.Path, file.Size, file.Modified.ToUnixTimeMilliseconds(), file.Sha256);
        long id = Convert.ToInt64(upsert.ExecuteScalar());
        using NpgsqlCommand delete = Command($"DELETE FROM {Tables}.chunks WHERE file_id = $1", id);
        delete.ExecuteNonQuery();
        return id;
    }

    public override void AddChunk(long fileId, int ordinal, TextChunk chunk, ReadOnlySpan<float> vector)
    {
        CheckLength(vector, _store.Dimensions);
        _pending.Add(new PendingChunk(fileId, ordinal, chunk, System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector).ToArray()));
    }

    public override void CompleteFile(long fileId)
    {
        using NpgsqlCommand command = Command($"UPDATE {Tables}.files SET complete = true WHERE id = $1", fileId);
        command.ExecuteNonQuery();
    }

    public override int RemoveFile(long fileId)
    {
        Flush();
        using NpgsqlCommand chunks = Command($"DELETE FROM {Tables}.chunks WHERE file_id = $1", fileId);
        int removed = chunks.ExecuteNonQuery();
        using NpgsqlCommand file = Command($"DELETE FROM {Tables}.files WHERE id = $1", fileId);
        file.ExecuteNonQuery();
        return removed;
    }

    public override void Commit()
    {
        Flush();
        using NpgsqlCommand bump = Command($"UPDATE {Tables}.meta SET value = (value::bigint + 1)::text WHERE key = 'generation'");
        bump.ExecuteNonQuery();
        _transaction.Commit();
        _done = true;
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        try
        {
            if (!_done && _connection.State == System.Data.ConnectionState.Open) _transaction.Rollback();
        }
        finally
        {
            _transaction.Dispose();
            _connection.Dispose();
        }
    }

    private NpgsqlCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlCommand(sql, _connection, _transaction);
        foreach (object value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        return command;
    }

    /// <summary>Writes the buffered chunks with one binary COPY inside the transaction.</summary>
    private void Flush()
    {
        if (_pending.Count == 0) return;
        using (NpgsqlBinaryImporter copy = _connection.BeginBinaryImport(
            $"COPY {Tables}.chunks (file_id, ordinal, start_line, end_line, start_byte, end_byte, text, vector, words) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (PendingChunk p in _pending)
            {
                copy.StartRow();
                copy.Write(p.FileId, NpgsqlDbType.Bigint);
                copy.Write(p.Ordinal, NpgsqlDbType.Integer);
                copy.Write(p.Chunk.StartLine, NpgsqlDbType.Integer);
                copy.Write(p.Chunk.EndLine, NpgsqlDbType.Integer);
                copy.Write(p.Chunk.StartByte, NpgsqlDbType.Bigint);
                copy.Write(p.Chunk.EndByte, NpgsqlDbType.Bigint);
                copy.Write(p.Chunk.Text.Replace('\0', '\uFFFD'), NpgsqlDbType.Text);
                copy.Write(p.Vector, NpgsqlDbType.Bytea);
                copy.Write(Fts5Query.Words(p.Chunk.Text), NpgsqlDbType.Text);
            }
            copy.Complete();
        }
        _pending.Clear();
    }

    private sealed record PendingChunk(long FileId, int Ordinal, TextChunk Chunk, byte[] Vector);
}
