// Hybrid retrieval over a folder of documents with known answers, with the built-in all-MiniLM-L6-v2 embedder.
using Quill.Embeddings;
using Quill.Search.Retrieval;
using Xunit.Abstractions;

namespace Quill.Search.Tests.Retrieval;

/// <summary>The corpus indexed once with the built-in embedder, shared by the tests of this class.</summary>
public sealed class IndexedCorpus : IDisposable
{
    private readonly TempFolder _temp = new();

    public IndexedCorpus()
    {
        Embedder = EmbedderCatalog.Load();
        Index = DocumentIndex.OpenOrCreate(_temp.File("corpus.db"), Embedder);
        Index.Add([RetrievalCorpus.WriteTo(_temp)]);
        Retriever = new HybridRetriever(Index);
    }

    public ITextEmbedder Embedder { get; }

    public DocumentIndex Index { get; }

    public HybridRetriever Retriever { get; }

    public void Dispose()
    {
        Index.Dispose();
        Embedder.Dispose();
        _temp.Dispose();
    }
}

public class RetrievalQualityTests(IndexedCorpus corpus, ITestOutputHelper output) : IClassFixture<IndexedCorpus>
{
    private string Top(string query, RetrievalMode mode) => Path.GetFileName(corpus.Retriever.Retrieve(query, 5, mode)[0].File);

    [Fact]
    public void Hybrid_ranks_the_right_source_first_for_every_question()
    {
        var hits = new Dictionary<RetrievalMode, int>();
        foreach (RetrievalMode mode in Enum.GetValues<RetrievalMode>())
        {
            foreach ((string question, string file) in RetrievalCorpus.Questions)
            {
                string top = Top(question, mode);
                if (top == file) hits[mode] = hits.GetValueOrDefault(mode) + 1;
                else output.WriteLine($"{mode}: '{question}' -> {top}, expected {file}");
            }
        }
        int n = RetrievalCorpus.Questions.Length;
        foreach (RetrievalMode mode in Enum.GetValues<RetrievalMode>())
            output.WriteLine($"hit@1 {mode.ToString().ToLowerInvariant()}: {hits.GetValueOrDefault(mode)}/{n}");
        Assert.Equal(n, hits.GetValueOrDefault(RetrievalMode.Hybrid));
    }

    [Theory]
    [InlineData("who is Ingrid Vasquez-Olmo", "project-heron.md")]  // vectors: python-venv.md
    [InlineData("Ingrid", "project-heron.md")]                      // vectors: marathon.md
    [InlineData("7740", "sync-errors.md")]                          // vectors: pump-hx2210.md
    [InlineData("2210", "pump-hx2210.md")]                          // vectors: printer-errors.md
    public void An_exact_term_that_vectors_miss_is_found_by_keywords_and_hybrid(string code, string file)
    {
        string vector = Top(code, RetrievalMode.Vector);
        output.WriteLine($"{code}: vector ranks {vector} first");
        Assert.NotEqual(file, vector);
        Assert.Equal(file, Top(code, RetrievalMode.Keyword));
        Assert.Equal(file, Top(code, RetrievalMode.Hybrid));
    }

    [Fact]
    public void Extractive_answers_quote_the_right_source_and_cite_it()
    {
        const string question = "how long is a marathon";
        IReadOnlyList<SearchHit> sources = corpus.Retriever.Retrieve(question, 5);
        IReadOnlyList<ExtractedSentence> sentences = ExtractiveAnswer.Select(question, sources, corpus.Embedder);
        Assert.InRange(sentences.Count, 1, ExtractiveAnswer.MaxSentences);
        Assert.Equal("A marathon race is 42.195 kilometres long.", sentences[0].Text);
        foreach (ExtractedSentence s in sentences) Assert.Contains(s.Text, sources[s.Source - 1].Text.ReplaceLineEndings(" "));
        Assert.StartsWith("A marathon race is 42.195 kilometres long. [1]", ExtractiveAnswer.Format(sentences));
    }
}
