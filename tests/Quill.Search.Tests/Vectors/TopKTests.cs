// TopK against sorting everything; not a heap property fuzzer.
using Quill.Search.Vectors;

namespace Quill.Search.Tests.Vectors;

public class TopKTests
{
    [Theory]
    [InlineData(0, 10)]
    [InlineData(1, 10)]
    [InlineData(5, 3)]
    [InlineData(10, 1000)]
    [InlineData(33, 4097)]
    public void Keeps_the_best_k_best_first(int k, int n)
    {
        float[] scores = RandomVectors.Floats(n, k + n);
        var top = new TopK(k);
        for (int i = 0; i < n; i++) top.Offer(i, scores[i]);
        long[] expected = Enumerable.Range(0, n).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k).Select(i => (long)i).ToArray();
        Assert.Equal(expected, top.ToSortedArray().Select(s => s.Id).ToArray());
    }

    [Fact]
    public void Ties_prefer_the_smaller_id_whatever_the_order()
    {
        var forward = new TopK(2);
        var backward = new TopK(2);
        for (int i = 0; i < 5; i++) forward.Offer(i, 1f);
        for (int i = 4; i >= 0; i--) backward.Offer(i, 1f);
        Assert.Equal([0L, 1L], forward.ToSortedArray().Select(s => s.Id));
        Assert.Equal([0L, 1L], backward.ToSortedArray().Select(s => s.Id));
    }

    [Fact]
    public void Exact_search_returns_row_indices_by_cosine()
    {
        float[] rows = RandomVectors.UnitRows(200, 31, 7);
        float[] query = rows.AsSpan(42 * 31, 31).ToArray();
        ScoredItem[] hits = ExactSearch.Search(query, rows, 3);
        Assert.Equal(42, hits[0].Id);
        Assert.Equal(1f, hits[0].Score, 1e-5f);
        Assert.True(hits[1].Score >= hits[2].Score);
    }
}
