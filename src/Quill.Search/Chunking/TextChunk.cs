// One piece of a document as it is embedded and stored, with where it came from.
namespace Quill.Search.Chunking;

/// <summary>
/// A run of a file's text. Lines are 1-based and inclusive; bytes are UTF-8 offsets into the file as stored on disk
/// (a byte-order mark included), end exclusive, so the file's bytes [StartByte, EndByte) decode to <see cref="Text"/>.
/// </summary>
public sealed record TextChunk(string File, int StartLine, int EndLine, long StartByte, long EndByte, string Text, int TokenCount);
