// Brute-force nearest neighbours: every row's dot product with the query, the best k kept.
namespace Quill.Search.Vectors;

/// <summary>
/// Exact top-k by dot product over a row-major matrix (R, D) of L2-normalised vectors, so scores are cosine
/// similarities. Ids in the results are row indices. O(R·D) per query; the reference that HNSW recall is measured against.
/// </summary>
public static class ExactSearch
{
    /// <summary>The <paramref name="k"/> rows most similar to <paramref name="query"/>, best first.</summary>
    public static ScoredItem[] Search(ReadOnlySpan<float> query, ReadOnlySpan<float> rows, int k)
    {
        var top = new TopK(k);
        Search(query, rows, top);
        return top.ToSortedArray();
    }

    /// <summary>Offers every row to <paramref name="top"/> (cleared first), so callers can reuse one heap across queries.</summary>
    public static void Search(ReadOnlySpan<float> query, ReadOnlySpan<float> rows, TopK top)
    {
        int d = query.Length;
        if (d == 0 || rows.Length % d != 0)
            throw new ArgumentException($"rows of {d} floats expected, found a matrix of {rows.Length} floats");
        top.Clear();
        int count = rows.Length / d;
        for (int r = 0; r < count; r++) top.Offer(r, VectorDot.Dot(query, rows.Slice(r * d, d)));
    }
}
