// Keeps the HNSW file beside a VectorStore in step with it (load, patch, rebuild, save).
using Quill.Search.Storage;

namespace Quill.Search.Hnsw;

/// <summary>
/// The graph of a store lives in "STORE.hnsw" and records the store generation it reflects. <see cref="Ensure"/> loads
/// it and, when the store has moved on, tombstones the chunks that are gone and inserts the new ones (chunk ids only
/// grow, so new means above the largest id the graph has seen); past 25% tombstones, or when the file is missing,
/// unreadable or corrupt, it rebuilds from the store. The updated graph is saved atomically.
/// </summary>
public static class StoreGraph
{
    /// <summary>Rebuild instead of patching once this share of nodes are tombstones.</summary>
    public const double MaxDeletedShare = 0.25;

    public static string PathFor(VectorStore store) => store.Path + ".hnsw";

    /// <summary>The graph for the store as it is now, saved beside it.</summary>
    public static HnswIndex Ensure(VectorStore store, HnswOptions options, Action<string>? warn = null)
    {
        string path = PathFor(store);
        long generation = store.Generation;
        HnswIndex? index = TryLoad(store, path, warn);
        if (index is not null && index.StoreGeneration == generation) return index;
        if (index is not null)
        {
            var live = new HashSet<long>(store.ReadChunkIds());
            foreach (long gone in index.Keys.Where(k => !live.Contains(k)).ToList()) index.Remove(gone);
            if (index.DeletedCount > MaxDeletedShare * index.NodeCount) index = null;
        }
        long after = long.MinValue;
        if (index is null) index = new HnswIndex(store.Dimensions, options);
        else if (index.NodeCount > 0) after = MaxKey(index);
        (long[] ids, float[] vectors) = store.ReadVectors(after);
        int d = store.Dimensions;
        for (int i = 0; i < ids.Length; i++) index.Add(ids[i], vectors.AsSpan(i * d, d));
        index.StoreGeneration = generation;
        HnswFile.Save(index, path);
        return index;
    }

    /// <summary>One line on the graph file's state for `quill index stats`.</summary>
    public static string Describe(VectorStore store, long threshold)
    {
        string path = PathFor(store);
        long chunks = store.ChunkCount;
        string use = chunks >= threshold ? "hnsw" : $"exact (hnsw from {threshold} chunks)";
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

    private static long MaxKey(HnswIndex index)
    {
        long max = long.MinValue;
        foreach (long key in index.RawKeys) max = Math.Max(max, key);
        return max;
    }
}
