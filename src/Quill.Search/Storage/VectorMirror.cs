// A store's vectors held in this process's memory for exact search, caught up when the store's generation moves.
namespace Quill.Search.Storage;

/// <summary>
/// The ids and vectors of every chunk at one store generation. <see cref="CatchUp"/> returns this mirror when the store
/// has not moved, else a new one: the rows still live kept, the ones it lacks read by id (set difference, so writers
/// committing out of id order on a shared PostgreSQL store are caught too). Searching many times costs one generation
/// read each, not a read of every vector.
/// </summary>
public sealed class VectorMirror
{
    private VectorMirror(long generation, long[] ids, float[] vectors)
    {
        Generation = generation;
        Ids = ids;
        Vectors = vectors;
    }

    /// <summary>The store generation these rows reflect.</summary>
    public long Generation { get; }

    /// <summary>Chunk ids, ascending.</summary>
    public long[] Ids { get; }

    /// <summary>Row-major (<see cref="Ids"/>.Length, dimensions) vectors, in the order of <see cref="Ids"/>.</summary>
    public float[] Vectors { get; }

    /// <summary>The store's vectors as they are now, reusing what <paramref name="held"/> already has.</summary>
    public static VectorMirror CatchUp(VectorStore store, VectorMirror? held)
    {
        long generation = store.Generation;  // read first: a batch committed while we read is caught next time
        if (held is not null && held.Generation == generation) return held;
        if (held is null || held.Ids.Length == 0)
        {
            (long[] all, float[] allVectors) = store.ReadVectors();
            return new VectorMirror(generation, all, allVectors);
        }
        int d = store.Dimensions;
        var live = new HashSet<long>(store.ReadChunkIds());
        var rows = new List<(long Id, int From, float[] Source)>(live.Count);
        for (int i = 0; i < held.Ids.Length; i++)
            if (live.Remove(held.Ids[i])) rows.Add((held.Ids[i], i, held.Vectors));
        (long[] added, float[] addedVectors) = store.ReadVectors(live);
        for (int i = 0; i < added.Length; i++) rows.Add((added[i], i, addedVectors));
        rows.Sort((a, b) => a.Id.CompareTo(b.Id));
        var ids = new long[rows.Count];
        var vectors = new float[rows.Count * d];
        for (int r = 0; r < rows.Count; r++)
        {
            ids[r] = rows[r].Id;
            rows[r].Source.AsSpan(rows[r].From * d, d).CopyTo(vectors.AsSpan(r * d, d));
        }
        return new VectorMirror(generation, ids, vectors);
    }
}
