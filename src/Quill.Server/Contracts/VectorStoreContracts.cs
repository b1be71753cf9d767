// The JSON of POST /v1/vector_stores/{id}/search requests; the responses are written by hand.
using System.Text.Json;

namespace Quill.Server.Contracts;

/// <summary>
/// OpenAI's vector store search: query is a string or a list of strings (their rankings fused), max_num_results 1–50
/// (default 10), ranking_options.score_threshold drops weaker results. mode (hybrid, vector or keyword) is Quill's own.
/// </summary>
internal sealed class VectorStoreSearchRequest
{
    public JsonElement? Query { get; set; }
    public int? MaxNumResults { get; set; }
    public JsonElement? Filters { get; set; }
    public SearchRankingOptions? RankingOptions { get; set; }
    public bool? RewriteQuery { get; set; }
    public string? Mode { get; set; }
}

internal sealed class SearchRankingOptions
{
    public string? Ranker { get; set; }
    public double? ScoreThreshold { get; set; }
}
