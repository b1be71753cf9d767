// One search result before it is joined with its text: an id and its similarity.
namespace Quill.Search.Vectors;

/// <summary>An item (a row index, a chunk id) and its similarity to the query; higher is closer.</summary>
public readonly record struct ScoredItem(long Id, float Score)
{
    /// <summary>True when this ranks above <paramref name="other"/>: higher score, or on a tie the smaller id.</summary>
    public bool RanksAbove(ScoredItem other) => Score > other.Score || (Score == other.Score && Id < other.Id);
}
