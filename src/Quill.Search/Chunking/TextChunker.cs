// Splits text and Markdown into chunks of at most N tokens at paragraph or line boundaries.
using System.Text;
using Quill.Tokenizers;

namespace Quill.Search.Chunking;

/// <summary>
/// Cuts a document into chunks of at most <see cref="ChunkTokens"/> tokens of the embedder's tokenizer (special
/// tokens not counted; each line is counted with its line break, so a chunk's count is the sum over its lines). A chunk
/// ends at the last paragraph end (a line followed by a blank line) that keeps it at least half full, otherwise at the
/// last line that fits; a Markdown heading (outside code fences) always starts a new chunk. Consecutive chunks of one
/// section share up to <see cref="OverlapTokens"/> tokens of whole lines. A single line longer than the budget is cut
/// at token boundaries, with the same overlap.
/// </summary>
public sealed class TextChunker
{
    private readonly ITokenizer _tokenizer;

    public TextChunker(ITokenizer tokenizer, int chunkTokens = 256, int overlapTokens = 32)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (chunkTokens < 1) throw new ArgumentException($"--chunk-tokens: a positive number expected, found {chunkTokens}");
        if (overlapTokens < 0 || overlapTokens >= chunkTokens)
            throw new ArgumentException($"--overlap: 0 to {chunkTokens - 1} tokens expected (less than --chunk-tokens), found {overlapTokens}");
        _tokenizer = tokenizer;
        ChunkTokens = chunkTokens;
        OverlapTokens = overlapTokens;
    }

    public int ChunkTokens { get; }

    public int OverlapTokens { get; }

    /// <summary>True for the file names <see cref="Chunk"/> treats as Markdown (.md, .markdown).</summary>
    public static bool IsMarkdown(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".md" or ".markdown";

    /// <summary>Chunks a file's bytes (UTF-8, an optional byte-order mark; invalid bytes become U+FFFD).</summary>
    public IReadOnlyList<TextChunk> ChunkBytes(string file, ReadOnlySpan<byte> content)
    {
        int bom = content.StartsWith("\uFEFF"u8) ? 3 : 0;
        string text = Encoding.UTF8.GetString(content[bom..]);
        return Chunk(file, text, IsMarkdown(file), bom);
    }

    /// <summary>Chunks <paramref name="text"/>; byte offsets start at <paramref name="byteBase"/>.</summary>
    public IReadOnlyList<TextChunk> Chunk(string file, string text, bool markdown, long byteBase = 0)
    {
        List<Line> lines = SplitLines(text, markdown, byteBase);
        var chunks = new List<TextChunk>();
        int start = 0, covered = -1;
        while (start < lines.Count)
        {
            if (lines[start].IsBlank)
            {
                start++;
                continue;
            }
            if (lines[start].Tokens > ChunkTokens)
            {
                SplitLongLine(file, text, lines[start], chunks);
                covered = start++;
                continue;
            }
            int end = LastFittingLine(lines, start);
            end = PreferParagraphEnd(lines, start, end, covered + 1);
            chunks.Add(MakeChunk(file, text, lines, start, end));
            covered = end;
            start = NextStart(lines, start, end);
        }
        return chunks;
    }

    private readonly record struct Line(int Number, int CharStart, int CharEnd, int CharEndWithBreak, long ByteStart, long ByteEnd,
        int Tokens, bool IsBlank, bool IsHeading);

    private List<Line> SplitLines(string text, bool markdown, long byteBase)
    {
        var lines = new List<Line>();
        long bytes = byteBase;
        bool inFence = false;
        int pos = 0;
        while (pos < text.Length)
        {
            int lineEnd = text.IndexOfAny(['\n', '\r'], pos);
            int contentEnd = lineEnd < 0 ? text.Length : lineEnd;
            int next = lineEnd < 0 ? text.Length
                : text[lineEnd] == '\r' && lineEnd + 1 < text.Length && text[lineEnd + 1] == '\n' ? lineEnd + 2 : lineEnd + 1;
            ReadOnlySpan<char> content = text.AsSpan(pos, contentEnd - pos);
            bool blank = content.IsWhiteSpace();
            bool heading = false;
            if (markdown)
            {
                ReadOnlySpan<char> trimmed = content.TrimStart(' ');
                if (trimmed.StartsWith("```") || trimmed.StartsWith("~~~")) inFence = !inFence;
                else if (!inFence && content.Length - trimmed.Length <= 3) heading = IsAtxHeading(trimmed);
            }
            long byteEnd = bytes + Encoding.UTF8.GetByteCount(content);
            int tokens = blank ? 0 : _tokenizer.CountTokens(text.AsSpan(pos, next - pos), addSpecial: false);
            lines.Add(new Line(lines.Count + 1, pos, contentEnd, next, bytes, byteEnd, tokens, blank, heading));
            bytes += Encoding.UTF8.GetByteCount(text.AsSpan(pos, next - pos));
            pos = next;
        }
        return lines;
    }

    private static bool IsAtxHeading(ReadOnlySpan<char> line)
    {
        int hashes = 0;
        while (hashes < line.Length && line[hashes] == '#') hashes++;
        return hashes is >= 1 and <= 6 && (hashes == line.Length || line[hashes] is ' ' or '\t');
    }

    /// <summary>The last line from <paramref name="start"/> on that keeps the chunk within budget, stopping before a heading.</summary>
    private int LastFittingLine(List<Line> lines, int start)
    {
        int tokens = lines[start].Tokens, end = start;
        for (int i = start + 1; i < lines.Count; i++)
        {
            if (lines[i].IsHeading || tokens + lines[i].Tokens > ChunkTokens) break;
            tokens += lines[i].Tokens;
            end = i;
        }
        while (end > start && lines[end].IsBlank) end--;
        return end;
    }

    /// <summary>
    /// Moves the end back to the last paragraph end that keeps at least half the budget, if there is one at or past
    /// <paramref name="minEnd"/> (so a chunk never ends inside the overlap it shares with the one before).
    /// </summary>
    private int PreferParagraphEnd(List<Line> lines, int start, int end, int minEnd)
    {
        if (end + 1 >= lines.Count || lines[end + 1].IsBlank || lines[end + 1].IsHeading) return end;
        int tokens = 0, best = -1;
        for (int i = start; i < end; i++)
        {
            tokens += lines[i].Tokens;
            if (i >= minEnd && !lines[i].IsBlank && lines[i + 1].IsBlank && tokens * 2 >= ChunkTokens) best = i;
        }
        return best >= 0 ? best : end;
    }

    /// <summary>
    /// Where the chunk after [start, end] begins: back by whole lines worth at most the overlap, unless a heading or a
    /// blank line follows (a new section or paragraph), and always past <paramref name="start"/> so chunking advances.
    /// </summary>
    private int NextStart(List<Line> lines, int start, int end)
    {
        int after = end + 1;
        if (OverlapTokens == 0 || after >= lines.Count || lines[after].IsHeading || lines[after].IsBlank) return after;
        int next = after, tokens = 0;
        while (next - 1 > start && tokens + lines[next - 1].Tokens <= OverlapTokens)
        {
            tokens += lines[next - 1].Tokens;
            next--;
        }
        // The overlap must leave room for at least the next new line.
        while (next < after && tokens + lines[after].Tokens > ChunkTokens)
        {
            tokens -= lines[next].Tokens;
            next++;
        }
        while (next < after && lines[next].IsBlank) next++;
        return next;
    }

    private static TextChunk MakeChunk(string file, string text, List<Line> lines, int start, int end)
    {
        int tokens = 0;
        for (int i = start; i <= end; i++) tokens += lines[i].Tokens;
        Line first = lines[start], last = lines[end];
        return new TextChunk(file, first.Number, last.Number, first.ByteStart, last.ByteEnd,
            text[first.CharStart..last.CharEnd], tokens);
    }

    private void SplitLongLine(string file, string text, Line line, List<TextChunk> chunks)
    {
        string content = text[line.CharStart..line.CharEnd];
        EncodedToken[] tokens = _tokenizer.EncodeWithOffsets(content, addSpecial: false);
        int step = ChunkTokens - OverlapTokens;
        for (int first = 0; first < tokens.Length; first += step)
        {
            int last = Math.Min(first + ChunkTokens, tokens.Length) - 1;
            int charStart = first == 0 ? 0 : Math.Clamp(tokens[first].Start, 0, content.Length);
            int charEnd = last == tokens.Length - 1 ? content.Length : Math.Clamp(tokens[last].End, charStart, content.Length);
            long byteStart = line.ByteStart + Encoding.UTF8.GetByteCount(content.AsSpan(0, charStart));
            long byteEnd = byteStart + Encoding.UTF8.GetByteCount(content.AsSpan(charStart, charEnd - charStart));
            chunks.Add(new TextChunk(file, line.Number, line.Number, byteStart, byteEnd, content[charStart..charEnd], last - first + 1));
            if (last == tokens.Length - 1) break;
        }
    }
}
