// What DocumentIndex reports back: search hits, add and remove summaries and store statistics; plain data.
namespace Quill.Search;

/// <summary>One chunk found by a search: its score (cosine, BM25 or fused, by mode), the file, its 1-based inclusive line range and text.</summary>
public sealed record SearchHit(float Score, string File, int StartLine, int EndLine, string Text);

/// <summary>What one add did: files (re)indexed, files skipped as unchanged, chunks stored, chunks the embedder cut short.</summary>
public sealed record IndexAddReport(int FilesIndexed, int FilesUnchanged, int Chunks, int TruncatedChunks);

/// <summary>What one remove (or prune) did: files removed and the chunks that went with them.</summary>
public sealed record IndexRemoveReport(int Files, int Chunks);

/// <summary>A store's model, vector size, contents and how it is searched.</summary>
public sealed record IndexStats(string Store, string ModelName, int Dimensions, long Files, long Chunks, string IndexKind);
