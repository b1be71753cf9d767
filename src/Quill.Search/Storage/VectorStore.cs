// What a document index keeps: files, chunks, their vectors and a keyword index, in SQLite or PostgreSQL; not a search algorithm.
using Quill.Search.Storage.Postgres;
using Quill.Search.Storage.Sqlite;
using Quill.Search.Vectors;

namespace Quill.Search.Storage;

/// <summary>
/// Files (path, size, mtime, SHA-256, complete), chunks (file, lines, bytes, text, vector as float32) and a keyword
/// index over the chunk text, for one embedding model. Writes go through <see cref="VectorStoreBatch"/>, one transaction
/// each, so a process killed mid-way leaves every committed batch and nothing of the one in flight. Chunk ids are never
/// reused, and <see cref="Generation"/> grows with every committed batch: an index held beside the store (a graph file,
/// a replica's in-memory vectors) compares generations to know when to catch up.
/// A location is a SQLite file path (<see cref="SqliteVectorStore"/>) or a <c>postgres://</c> URL
/// (<see cref="PostgresVectorStore"/>, one store that many replicas share).
/// </summary>
public abstract class VectorStore : IDisposable
{
    protected VectorStore(string location, string modelName, int dimensions)
    {
        Path = location;
        ModelName = modelName;
        Dimensions = dimensions;
    }

    /// <summary>Where the store is, as shown to people: the SQLite file's path, or the URL with any password hidden.</summary>
    public string Path { get; }

    /// <summary>The SQLite file for a store kept in one (files such as the HNSW graph go beside it); null for a database server.</summary>
    public abstract string? LocalFile { get; }

    /// <summary>The embedding model every vector in the store came from.</summary>
    public string ModelName { get; }

    public int Dimensions { get; }

    /// <summary>Counts committed batches; an index built from the store records the generation it reflects.</summary>
    public abstract long Generation { get; }

    public abstract long FileCount { get; }

    public abstract long ChunkCount { get; }

    /// <summary>True when <paramref name="location"/> names a PostgreSQL database (postgres:// or postgresql://) rather than a file.</summary>
    public static bool IsDatabaseUrl(string location) => PostgresLocation.IsUrl(location);

    /// <summary>Opens the store at <paramref name="location"/>, creating it for this model if there is none; refuses another model's store.</summary>
    public static VectorStore OpenOrCreate(string location, string modelName, int dimensions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        return IsDatabaseUrl(location)
            ? PostgresVectorStore.OpenOrCreate(location, modelName, dimensions)
            : SqliteVectorStore.OpenOrCreate(location, modelName, dimensions);
    }

    /// <summary>Opens an existing store whatever its model (for stats, or to learn which model to load).</summary>
    public static VectorStore Open(string location) =>
        IsDatabaseUrl(location) ? PostgresVectorStore.Open(location) : SqliteVectorStore.Open(location);

    /// <summary>Throws <see cref="InvalidDataException"/> unless the store's vectors come from this model and size.</summary>
    /// <param name="modelName">The embedder's model name.</param>
    /// <param name="dimensions">The embedder's vector size.</param>
    /// <param name="modelFlag">The command-line flag that picks the embedder, named in the hint.</param>
    public void RequireModel(string modelName, int dimensions, string modelFlag = "-m")
    {
        if (modelName != ModelName || dimensions != Dimensions)
        {
            throw new InvalidDataException(
                $"{Path}: expected vectors of model '{modelName}' ({dimensions} dims), found a store built with '{ModelName}' " +
                $"({Dimensions} dims); use {modelFlag} {ModelName} or another --store");
        }
    }

    public abstract StoredFile? FindFile(string path);

    /// <summary>The stored files whose path is <paramref name="fullPath"/> or lies under it as a folder, in path order.</summary>
    public abstract IReadOnlyList<StoredFile> FindFilesUnder(string fullPath);

    /// <summary>
    /// The <paramref name="n"/> chunks that best match the words of <paramref name="query"/> (higher is better), best
    /// first. Any text is safe: operators and punctuation in it are never parsed as query syntax.
    /// </summary>
    public abstract ScoredItem[] KeywordSearch(string query, int n);

    /// <summary>"ok", or what is wrong between the keyword index and the chunks it indexes.</summary>
    public abstract string CheckFullTextIntegrity();

    /// <summary>"ok", or the problems the database's own checks list.</summary>
    public abstract string CheckIntegrity();

    /// <summary>Starts a transaction; nothing it writes is visible or durable until <see cref="VectorStoreBatch.Commit"/>.</summary>
    public abstract VectorStoreBatch BeginBatch();

    /// <summary>Every chunk id, ascending.</summary>
    public abstract long[] ReadChunkIds();

    /// <summary>Every chunk id in ascending order and the vectors as one row-major matrix (N, D).</summary>
    public abstract (long[] Ids, float[] Vectors) ReadVectors();

    /// <summary>The chunks of these ids that exist, in ascending id order, with their vectors as one row-major matrix (N, D).</summary>
    public abstract (long[] Ids, float[] Vectors) ReadVectors(IReadOnlyCollection<long> ids);

    /// <summary>The chunks with these ids (with their file paths), in the order asked; ids not found are left out.</summary>
    public abstract IReadOnlyList<StoredChunk> ReadChunks(IReadOnlyList<long> ids);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected abstract void Dispose(bool disposing);

    /// <summary>Checks a stored vector's byte length and appends its floats to <paramref name="vectors"/>.</summary>
    protected void AppendVector(long id, byte[] blob, List<float> vectors)
    {
        if (blob.Length != Dimensions * sizeof(float))
            throw new InvalidDataException($"{Path}: expected a vector of {Dimensions * sizeof(float)} bytes, found {blob.Length}, at chunk {id}");
        vectors.AddRange(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(blob));
    }
}
