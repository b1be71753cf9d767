// The knobs of an HNSW graph (Malkov & Yashunin 2016): links per node, beam widths, the seed.
namespace Quill.Search.Hnsw;

/// <summary>
/// <see cref="M"/> links per node on the upper layers (2·M on layer 0), <see cref="EfConstruction"/> candidates kept
/// while inserting, <see cref="EfSearch"/> while searching (at least k is used), <see cref="Seed"/> for the level draws:
/// the same inputs in the same order with the same seed build the same graph. The defaults suit sentence embeddings,
/// whose neighbourhoods are clustered; uniformly random 384-d vectors have no such structure and need efSearch near
/// 1000 for recall@10 ≥ 0.95 (see HnswRecallTests and VectorSearchBenchmark).
/// </summary>
public sealed record HnswOptions
{
    public int M { get; init; } = 32;

    public int EfConstruction { get; init; } = 128;

    public int EfSearch { get; init; } = 128;

    public ulong Seed { get; init; } = 0x5EED_0F_0111;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for values the graph cannot work with.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(M, 2, nameof(M));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(M, HnswIndex.MaxM, nameof(M));
        ArgumentOutOfRangeException.ThrowIfLessThan(EfConstruction, 1, nameof(EfConstruction));
        ArgumentOutOfRangeException.ThrowIfLessThan(EfSearch, 1, nameof(EfSearch));
    }
}
