// Finds the chunks that answer a query: vector search, BM25 keyword search, or both fused by reciprocal rank.
using Quill.Search.Storage;
using Quill.Search.Vectors;

namespace Quill.Search.Retrieval;

/// <summary>How <see cref="HybridRetriever"/> ranks chunks.</summary>
public enum RetrievalMode
{
    /// <summary>Vector and keyword rankings fused by <see cref="ReciprocalRankFusion"/>; scores are fused RRF scores.</summary>
    Hybrid,

    /// <summary>Cosine similarity of the embedded query and chunks only; scores are cosines.</summary>
    Vector,

    /// <summary>The store's keyword index only (FTS5 BM25 in SQLite, ts_rank in PostgreSQL); higher scores are better.</summary>
    Keyword,
}

/// <summary>
/// Retrieval for grounded answers over a <see cref="DocumentIndex"/>. Vectors find chunks that mean the same in other
/// words; BM25 finds the exact rare terms (part numbers, error codes, names) that small embedders blur. Hybrid takes the
/// top <see cref="CandidatesFor"/> of each and fuses them by rank, the usual choice when neither list's scores can be
/// trusted against the other's.
/// </summary>
public sealed class HybridRetriever(DocumentIndex index)
{
    /// <summary>The index searched.</summary>
    public DocumentIndex Index { get; } = index ?? throw new ArgumentNullException(nameof(index));

    /// <summary>How deep each list is read before fusing: max(50, 4k).</summary>
    public static int CandidatesFor(int k) => Math.Max(50, 4 * k);

    /// <summary>Parses "hybrid", "vector" or "keyword" (any case); anything else is an <see cref="ArgumentException"/> naming the flag.</summary>
    public static RetrievalMode ParseMode(string text, string flag = "--mode") => text.ToLowerInvariant() switch
    {
        "hybrid" => RetrievalMode.Hybrid,
        "vector" => RetrievalMode.Vector,
        "keyword" => RetrievalMode.Keyword,
        _ => throw new ArgumentException($"{flag}: expected hybrid, vector or keyword, found '{text}'"),
    };

    /// <summary>One line saying how <paramref name="mode"/> ranks over <paramref name="store"/>, for a search's header.</summary>
    public static string Describe(RetrievalMode mode, VectorStore? store = null)
    {
        bool database = store?.LocalFile is null && store is not null;
        string keyword = database ? "ts_rank" : "BM25";
        return mode switch
        {
            RetrievalMode.Hybrid => $"hybrid: vector + keyword ({keyword}), fused by reciprocal rank (k={ReciprocalRankFusion.K})",
            RetrievalMode.Vector => "vector: cosine similarity of embeddings",
            _ => database ? "keyword: ts_rank over the chunk text (PostgreSQL full-text search)" : "keyword: BM25 over the chunk text (FTS5)",
        };
    }

    /// <summary>
    /// The <paramref name="k"/> chunks that best answer all of <paramref name="queries"/> together, best first: one query
    /// is <see cref="Retrieve(string, int, RetrievalMode, Action{string}?)"/>; several have each ranking of each query
    /// (<see cref="CandidatesFor"/> deep) fused by reciprocal rank, so scores are fused RRF scores whatever the mode.
    /// </summary>
    public IReadOnlyList<SearchHit> Retrieve(IReadOnlyList<string> queries, int k, RetrievalMode mode = RetrievalMode.Hybrid,
        Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(queries);
        if (queries.Count == 0) throw new ArgumentException("at least one query expected, found none", nameof(queries));
        if (queries.Count == 1) return Retrieve(queries[0], k, mode, warn);
        if (k < 1) throw new ArgumentException($"-k: a positive number of results expected, found {k}");
        if (Index.ChunkCount == 0) return [];
        var lists = new List<IReadOnlyList<ScoredItem>>();
        foreach (string query in queries)
        {
            if (mode != RetrievalMode.Keyword) lists.Add(Index.VectorSearch(query, CandidatesFor(k), warn));
            if (mode != RetrievalMode.Vector) lists.Add(Index.KeywordSearch(query, CandidatesFor(k)));
        }
        return Index.ReadHits(ReciprocalRankFusion.Fuse(lists, k));
    }

    /// <summary>The <paramref name="k"/> chunks that best answer <paramref name="query"/>, best first.</summary>
    public IReadOnlyList<SearchHit> Retrieve(string query, int k = 5, RetrievalMode mode = RetrievalMode.Hybrid, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (k < 1) throw new ArgumentException($"-k: a positive number of results expected, found {k}");
        if (Index.ChunkCount == 0) return [];
        ScoredItem[] top = mode switch
        {
            RetrievalMode.Vector => Index.VectorSearch(query, k, warn),
            RetrievalMode.Keyword => Index.KeywordSearch(query, k),
            _ => ReciprocalRankFusion.Fuse(
                [Index.VectorSearch(query, CandidatesFor(k), warn), Index.KeywordSearch(query, CandidatesFor(k))], k),
        };
        return Index.ReadHits(top);
    }
}
