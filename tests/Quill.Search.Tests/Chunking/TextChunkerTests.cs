// TextChunker on small hand-made documents with the bert-base-uncased tokenizer: budgets, boundaries, offsets, overlap.
using System.Text;
using Quill.Search.Chunking;
using Quill.Tokenizers;

namespace Quill.Search.Tests.Chunking;

public class TextChunkerTests
{
    private static readonly ITokenizer Bert = TokenizerCatalog.Load("bert-base-uncased");

    private static string Words(int count, int seed)
    {
        string[] vocabulary = ["alpha", "river", "stone", "quiet", "engine", "paper", "cloud", "music", "green", "window"];
        var random = new Random(seed);
        return string.Join(' ', Enumerable.Range(0, count).Select(_ => vocabulary[random.Next(vocabulary.Length)]));
    }

    private static string Document(int paragraphs, int linesPerParagraph, int wordsPerLine, string newline = "\n") =>
        string.Join(newline + newline, Enumerable.Range(0, paragraphs).Select(p =>
            string.Join(newline, Enumerable.Range(0, linesPerParagraph).Select(l => Words(wordsPerLine, p * 100 + l)))));

    [Theory]
    [InlineData(16, 0)]
    [InlineData(32, 8)]
    [InlineData(64, 16)]
    [InlineData(256, 32)]
    public void Chunks_stay_within_the_token_budget(int budget, int overlap)
    {
        var chunker = new TextChunker(Bert, budget, overlap);
        foreach (TextChunk chunk in chunker.Chunk("doc.txt", Document(6, 5, 7), markdown: false))
        {
            Assert.InRange(chunk.TokenCount, 1, budget);
            Assert.Equal(chunk.TokenCount, Bert.CountTokens(chunk.Text, addSpecial: false));
        }
    }

    [Theory]
    [InlineData("\n", false)]
    [InlineData("\r\n", false)]
    [InlineData("\n", true)]
    public void Byte_offsets_and_lines_point_back_into_the_file(string newline, bool bom)
    {
        string text = Document(4, 3, 6, newline).Replace("river", "rivière").Replace("cloud", "雲") + newline;
        byte[] body = Encoding.UTF8.GetBytes(text);
        byte[] file = bom ? [0xEF, 0xBB, 0xBF, .. body] : body;
        string[] lines = text.Split(newline);
        IReadOnlyList<TextChunk> chunks = new TextChunker(Bert, 24, 6).ChunkBytes("doc.txt", file);
        Assert.NotEmpty(chunks);
        foreach (TextChunk chunk in chunks)
        {
            Assert.Equal(chunk.Text, Encoding.UTF8.GetString(file.AsSpan((int)chunk.StartByte, (int)(chunk.EndByte - chunk.StartByte))));
            Assert.StartsWith(lines[chunk.StartLine - 1], chunk.Text);
            Assert.EndsWith(lines[chunk.EndLine - 1], chunk.Text);
        }
    }

    [Fact]
    public void Without_overlap_every_nonblank_line_is_in_exactly_one_chunk_in_order()
    {
        string text = Document(5, 4, 9);
        IReadOnlyList<TextChunk> chunks = new TextChunker(Bert, 40, 0).Chunk("doc.txt", text, markdown: false);
        var covered = chunks.SelectMany(c => Enumerable.Range(c.StartLine, c.EndLine - c.StartLine + 1)).ToList();
        Assert.Equal(covered.Distinct().Order(), covered);
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
            if (lines[i].Length > 0) Assert.Contains(i + 1, covered);
    }

    [Fact]
    public void Paragraph_ends_are_preferred_to_cutting_a_paragraph()
    {
        // Paragraphs of 3 lines × ~10 tokens; a 64-token budget fits two paragraphs, never a paragraph and a half.
        string text = Document(6, 3, 10);
        foreach (TextChunk chunk in new TextChunker(Bert, 64, 0).Chunk("doc.txt", text, markdown: false))
        {
            Assert.Equal(0, (chunk.StartLine - 1) % 4);
            Assert.Equal(3, chunk.EndLine % 4);
        }
    }

    [Fact]
    public void Markdown_headings_start_chunks_but_not_inside_code_fences()
    {
        string text = "# Title\nintro line\n\n## Part one\nfirst body\n```\n# not a heading\n```\n## Part two\nsecond body\n";
        IReadOnlyList<TextChunk> chunks = new TextChunker(Bert, 200, 0).Chunk("doc.md", text, markdown: true);
        Assert.Equal(["# Title", "## Part one", "## Part two"], chunks.Select(c => c.Text.Split('\n')[0]));
        Assert.Contains("# not a heading", chunks[1].Text);
        Assert.Single(new TextChunker(Bert, 200, 0).Chunk("doc.txt", text, markdown: false));
    }

    [Fact]
    public void Consecutive_chunks_share_at_most_the_overlap()
    {
        string text = string.Join('\n', Enumerable.Range(0, 40).Select(i => Words(5, i)));
        IReadOnlyList<TextChunk> chunks = new TextChunker(Bert, 30, 10).Chunk("doc.txt", text, markdown: false);
        string[] lines = text.Split('\n');
        for (int i = 1; i < chunks.Count; i++)
        {
            Assert.True(chunks[i].StartLine > chunks[i - 1].StartLine);
            Assert.True(chunks[i].EndLine > chunks[i - 1].EndLine);
            int shared = 0;
            for (int line = chunks[i].StartLine; line <= chunks[i - 1].EndLine; line++)
                shared += Bert.CountTokens(lines[line - 1] + "\n", addSpecial: false);
            Assert.InRange(shared, 1, 10);
        }
    }

    [Fact]
    public void A_line_longer_than_the_budget_is_cut_at_token_boundaries()
    {
        string line = Words(300, 5);
        IReadOnlyList<TextChunk> chunks = new TextChunker(Bert, 64, 8).Chunk("doc.txt", "short first line\n" + line, markdown: false);
        Assert.Equal("short first line", chunks[0].Text);
        Assert.True(chunks.Count >= 5);
        foreach (TextChunk chunk in chunks.Skip(1))
        {
            Assert.Equal(2, chunk.StartLine);
            Assert.InRange(Bert.CountTokens(chunk.Text, addSpecial: false), 1, 64);
        }
        Assert.StartsWith(chunks[1].Text, line);
        Assert.EndsWith(chunks[^1].Text, line);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n   \n")]
    public void Blank_documents_have_no_chunks(string text) =>
        Assert.Empty(new TextChunker(Bert, 16, 0).Chunk("doc.txt", text, markdown: false));

    [Theory]
    [InlineData(0, 0)]
    [InlineData(16, 16)]
    [InlineData(16, -1)]
    public void Bad_sizes_are_refused(int budget, int overlap) =>
        Assert.Throws<ArgumentException>(() => new TextChunker(Bert, budget, overlap));
}
