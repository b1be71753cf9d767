// The settings of a DocumentIndex (chunk sizes, batch size, when HNSW takes over); not stored in the database.
using Quill.Search.Hnsw;

namespace Quill.Search;

/// <summary>
/// <see cref="ChunkTokens"/> and <see cref="OverlapTokens"/> size the chunks (capped by the embedder's maximum);
/// <see cref="BatchSize"/> chunks are embedded and committed per transaction; stores with at least
/// <see cref="HnswThreshold"/> chunks are searched through an HNSW graph, smaller ones exactly.
/// </summary>
public sealed record DocumentIndexOptions
{
    public int ChunkTokens { get; init; } = 256;

    public int OverlapTokens { get; init; } = 32;

    public int BatchSize { get; init; } = 32;

    public long HnswThreshold { get; init; } = 50_000;

    public HnswOptions Hnsw { get; init; } = new();
}
