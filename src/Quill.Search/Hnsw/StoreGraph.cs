// Keeps an HNSW graph in step with a VectorStore (load, patch, rebuild; saved beside a SQLite store, in memory for a server's).
using Quill.Search.Storage;

namespace Quill.Search.Hnsw;

/// <summary>
/// A graph records the store generation it reflects. <see cref="Ensure"/> takes the graph a process already holds (or,
/// for a SQLite store, loads "STORE.hnsw") and, when the store has moved on, tombstones the chunks that are gone and
/// inserts those it lacks, found by id set difference (with several writers on one PostgreSQL store, ids need not
/// commit in order); past 25% tombstones, or when the file is missing, unreadable or corrupt, it rebuilds from the
/// store. A SQLite store's graph is then saved atomically beside it; a PostgreSQL store's stays in each replica's memory.
/// </summary>
public static class StoreGraph
{
    /// <summary>Rebuild instead of patching once this share of nodes are tombstones.</summary>
    public const double MaxDeletedShare = 0.25;

    /// <summary>The graph file beside a SQLite store; null for a store on a database server.</summary>
    public static string? PathFor(VectorStore store) => store.LocalFile is { } file ? file + ".hnsw" : null;

    /// <summary>The graph for the store as it is now: <paramref name="held"/> caught up, or one loaded or built.</summary>
    public static HnswIndex Ensure(VectorStore store, HnswOptions options, Action<string>? warn = null, HnswIndex? held = null)
    {
        string? path = PathFor(store);
        long generation = store.Generation;  // read first: a batch committed while we catch up is caught next time
        HnswIndex? index = held is not null && held.Dimensions == store.Dimensions ? held : path is null ? null : TryLoad(store, path, warn);
        if (index is not null && index.StoreGeneration == generation) return index;
        var live = new HashSet<long>(store.ReadChunkIds());
        if (index is not null)
        {
            foreach (long gone in index.Keys.Where(k => !live.Contains(k)).ToList()) index.Remove(gone);
            if (index.DeletedCount > MaxDeletedShare * index.NodeCount) index = null;
        }
        if (index is null) index = new HnswIndex(store.Dimensions, options);
        else live.ExceptWith(index.Keys);
        (long[] ids, float[] vectors) = index.NodeCount == 0 ? store.ReadVectors() : store.ReadVectors(live);
        int d = store.Dimensions;
        for (int i = 0; i < ids.Length; i++) index.Add(ids[i], vectors.AsSpan(i * d, d));
        index.StoreGeneration = generation;
        if (path is not null) HnswFile.Save(index, path);
        return index;
    }

    /// <summary>One line on the graph file's state for `quill index stats`.</summary>
    public static string Describe(VectorStore store, long threshold)
    {
        long chunks = store.ChunkCount;
        string use = chunks >= threshold ? "hnsw" : $"exact (hnsw from {threshold} chunks)";
        if (PathFor(store) is not { } path) return $"{use}; vectors held in memory by each process that searches, kept in step by the store's generation";
        if (!File.Exists(path)) return chunks >= threshold ? "hnsw (not built yet: built on next add or search)" : use;
        try
        {
            HnswIndex index = HnswFile.Load(path);
            string state = index.StoreGeneration == store.Generation ? "up to date" : "stale: updated on next add or search";
            return $"{use}; graph M={index.M} efConstruction={index.EfConstruction}, {index.Count} nodes, {index.DeletedCount} tombstones, {state}";
        }
        catch (InvalidDataException e)
        {
            return $"{use}; graph unreadable, rebuilt on next use ({e.Message})";
        }
    }

    private static HnswIndex? TryLoad(VectorStore store, string path, Action<string>? warn)
    {
        if (!File.Exists(path)) return null;
        try
        {
            HnswIndex index = HnswFile.Load(path);
            if (index.Dimensions == store.Dimensions) return index;
            warn?.Invoke($"{path}: expected {store.Dimensions}-dim vectors, found {index.Dimensions}; rebuilding the graph");
        }
        catch (InvalidDataException e)
        {
            warn?.Invoke($"{e.Message.Replace(" (delete the file to rebuild it)", "")}; rebuilding the graph");
        }
        return null;
    }
}
