// The document store `quill serve --store` searches: checked at start, opened with the served embedder on first use.
using Quill.Search;
using Quill.Search.Storage;

namespace Quill.Server.Retrieval;

/// <summary>
/// One <see cref="DocumentIndex"/> over the store named by --store (a SQLite file or a postgres:// URL). The store must
/// exist and hold vectors of the served embedding model; both are checked when the server starts, so a wrong --store
/// fails there in one line. The index opens on the first search (the built-in embedder loads lazily) and then keeps
/// its vectors in memory, catching up with the store's generation before each search: replicas sharing one PostgreSQL
/// store see each other's `quill index add` at their next search.
/// </summary>
internal sealed class ServedStore : IDisposable
{
    private readonly string _location;
    private readonly Lazy<DocumentIndex> _index;

    private ServedStore(string location, string displayName, ServedModels models, DateTimeOffset created)
    {
        _location = location;
        Name = displayName;
        CreatedAt = created;
        _index = new Lazy<DocumentIndex>(() => DocumentIndex.Open(location, models.Embedder, modelFlag: "--embedding-model"),
            LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The id /v1/vector_stores lists; "default" is accepted as well.</summary>
    public const string Id = "vs_quill";

    /// <summary>The store's location as people see it (a URL's password hidden).</summary>
    public string Name { get; }

    public DateTimeOffset CreatedAt { get; }

    public DocumentIndex Index => _index.Value;

    /// <summary>The store at <paramref name="location"/>, or null when there is none to serve; throws when it is missing or of another model.</summary>
    public static ServedStore? Open(string? location, ServedModels models)
    {
        if (location is null) return null;
        using VectorStore store = VectorStore.Open(location);
        if (store.ModelName != models.EmbeddingModelId)
        {
            throw new InvalidDataException(
                $"{store.Path}: expected vectors of the served embedding model '{models.EmbeddingModelId}', found a store built with " +
                $"'{store.ModelName}'; use --embedding-model {store.ModelName} or another --store");
        }
        return new ServedStore(location, store.Path, models, DateTimeOffset.UtcNow);
    }

    /// <summary>
    /// The store's model and counts, read through a connection of their own: describing the store needs no embedder
    /// (which the index would load) and never shares the searches' connection.
    /// </summary>
    public (string ModelName, long Files, long Chunks) Describe()
    {
        using VectorStore store = VectorStore.Open(_location);
        return (store.ModelName, store.FileCount, store.ChunkCount);
    }

    /// <summary>True for the ids a request may name.</summary>
    public static bool Names(string id) => id is Id or "default";

    public void Dispose()
    {
        if (_index.IsValueCreated) _index.Value.Dispose();
    }
}
