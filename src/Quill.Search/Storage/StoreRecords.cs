// The rows a VectorStore hands in and out (files, chunks); plain data, no queries.
namespace Quill.Search.Storage;

/// <summary>A document as it was when indexed: its full path, size, modification time and SHA-256 of its bytes.</summary>
public sealed record SourceFile(string Path, long Size, DateTimeOffset Modified, string Sha256);

/// <summary>A file row: <see cref="Complete"/> is false while (or if, after a crash) only some of its chunks are stored.</summary>
public sealed record StoredFile(long Id, string Path, long Size, DateTimeOffset Modified, string Sha256, bool Complete);

/// <summary>A chunk row without its vector; lines 1-based inclusive, bytes end exclusive.</summary>
public sealed record StoredChunk(long Id, string File, int StartLine, int EndLine, long StartByte, long EndByte, string Text);
