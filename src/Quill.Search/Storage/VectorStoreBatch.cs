// One transaction of a VectorStore: replace or remove files, add chunks with vectors, mark files complete.
using Quill.Search.Chunking;

namespace Quill.Search.Storage;

/// <summary>
/// Writes inside one database transaction. Disposing without <see cref="Commit"/> rolls everything back, as does a crash.
/// </summary>
public abstract class VectorStoreBatch : IDisposable
{
    private bool _disposed;

    /// <summary>Creates or resets the file's row (marked incomplete) and deletes its old chunks; returns the file id.</summary>
    public abstract long StartFile(SourceFile file);

    /// <summary>Adds one chunk of a started file with its vector (<see cref="VectorStore.Dimensions"/> floats).</summary>
    public abstract void AddChunk(long fileId, int ordinal, TextChunk chunk, ReadOnlySpan<float> vector);

    /// <summary>Marks a file whose every chunk is now stored.</summary>
    public abstract void CompleteFile(long fileId);

    /// <summary>Deletes a file's row and its chunks (their vectors and keyword-index rows with them); returns how many chunks went.</summary>
    public abstract int RemoveFile(long fileId);

    /// <summary>Bumps the store's generation and commits.</summary>
    public abstract void Commit();

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected abstract void Dispose(bool disposing);

    /// <summary>Throws unless <paramref name="vector"/> has the store's <paramref name="dimensions"/>.</summary>
    protected static void CheckLength(ReadOnlySpan<float> vector, int dimensions)
    {
        if (vector.Length != dimensions)
            throw new ArgumentException($"a vector of {dimensions} floats expected, found {vector.Length}", nameof(vector));
    }
}
