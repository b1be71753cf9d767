// HNSW against exact search on random unit vectors: recall, determinism, tombstones; not a timing test (see VectorSearchBenchmark).
using Quill.Search.Hnsw;
using Quill.Search.Vectors;

namespace Quill.Search.Tests.Hnsw;

public class HnswRecallTests
{
    private const double MinRecallAt10 = 0.95;
    private const int Dims = 384;

    /// <summary>Random vectors on the 384-d sphere have no clusters to exploit: a wide search beam is what buys recall.</summary>
    internal static readonly HnswOptions RandomDataOptions = new() { M = 32, EfConstruction = 100, EfSearch = 800 };

    internal static HnswIndex Build(float[] rows, int dims, HnswOptions options)
    {
        var index = new HnswIndex(dims, options);
        for (int r = 0; r < rows.Length / dims; r++) index.Add(r, rows.AsSpan(r * dims, dims));
        return index;
    }

    internal static double RecallAt10(HnswIndex index, float[] rows, float[] queries, int dims, int efSearch)
    {
        int hitsFound = 0, total = 0;
        for (int q = 0; q < queries.Length / dims; q++)
        {
            ReadOnlySpan<float> query = queries.AsSpan(q * dims, dims);
            var truth = ExactSearch.Search(query, rows, 10).Select(s => s.Id).ToHashSet();
            hitsFound += index.Search(query, 10, efSearch).Count(s => truth.Contains(s.Id));
            total += truth.Count;
        }
        return (double)hitsFound / total;
    }

    [Fact]
    public void Recall_at_10_on_20k_random_384d_vectors()
    {
        float[] rows = RandomVectors.UnitRows(20_000, Dims, 11);
        float[] queries = RandomVectors.UnitRows(100, Dims, 12);
        HnswIndex index = Build(rows, Dims, RandomDataOptions);
        double recall = RecallAt10(index, rows, queries, Dims, RandomDataOptions.EfSearch);
        Assert.True(recall >= MinRecallAt10, $"recall@10 {recall:F3} < {MinRecallAt10}");
    }
}
