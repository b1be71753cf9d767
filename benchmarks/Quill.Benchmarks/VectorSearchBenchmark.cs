// Exact search against HNSW on 100k random 384-d unit vectors: queries/s and recall@10 from the same run; not a unit test.
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Quill.Search.Hnsw;
using Quill.Search.Vectors;

namespace Quill.Benchmarks;

/// <summary>
/// One exact row (baseline) and one HNSW row per efSearch. The graph (M=32, efConstruction=100, seed fixed) takes a
/// few minutes to build on one core, so it is cached as quill-bench-100k.hnsw in the temp folder and reused by every
/// process of the run. Columns: queries/s (one thread) and recall@10 against exact search over 100 held-out queries.
/// Uniformly random vectors are the hard case for HNSW (no clusters): expect it to need efSearch ≈ 1000 for 0.95.
/// Run with <c>./bench --filter '*VectorSearch*' --job short</c>.
/// </summary>
[Config(typeof(Columns))]
public class VectorSearchBenchmark
{
    public const int Count = 100_000;
    public const int Dims = 384;
    public const int Queries = 100;
    public const int K = 10;
    private static readonly HnswOptions GraphOptions = new() { M = 32, EfConstruction = 100, Seed = 1 };

    private float[] _rows = [];
    private float[] _queries = [];
    private HnswIndex _graph = null!;
    private readonly TopK _top = new(K);

    [Params(256, 1024, 2048)]
    public int EfSearch { get; set; }

    [GlobalSetup]
    public void Setup() => (_rows, _queries, _graph) = Data.Value;

    [Benchmark(Baseline = true, OperationsPerInvoke = Queries)]
    public float Exact()
    {
        float sum = 0;
        for (int q = 0; q < Queries; q++)
        {
            ExactSearch.Search(_queries.AsSpan(q * Dims, Dims), _rows, _top);
            sum += _top.Worst.Score;
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Queries)]
    public float Hnsw()
    {
        float sum = 0;
        for (int q = 0; q < Queries; q++) sum += _graph.Search(_queries.AsSpan(q * Dims, Dims), K, EfSearch)[^1].Score;
        return sum;
    }

    private static readonly Lazy<(float[] Rows, float[] Queries, HnswIndex Graph)> Data = new(() =>
    {
        float[] rows = UnitRows(Count, 1), queries = UnitRows(Queries, 2);
        string cache = Path.Combine(Path.GetTempPath(), "quill-bench-100k.hnsw");
        HnswIndex graph;
        try
        {
            graph = HnswFile.Load(cache);
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            graph = new HnswIndex(Dims, GraphOptions);
            for (int r = 0; r < Count; r++) graph.Add(r, rows.AsSpan(r * Dims, Dims));
            HnswFile.Save(graph, cache);
        }
        return (rows, queries, graph);
    });

    /// <summary>recall@10 of the graph at <paramref name="efSearch"/> against exact search.</summary>
    public static double RecallAt10(int efSearch)
    {
        (float[] rows, float[] queries, HnswIndex graph) = Data.Value;
        int found = 0;
        for (int q = 0; q < Queries; q++)
        {
            ReadOnlySpan<float> query = queries.AsSpan(q * Dims, Dims);
            var truth = ExactSearch.Search(query, rows, K).Select(s => s.Id).ToHashSet();
            found += graph.Search(query, K, efSearch).Count(s => truth.Contains(s.Id));
        }
        return found / (double)(Queries * K);
    }

    private static float[] UnitRows(int count, int seed)
    {
        var random = new Random(seed);
        var rows = new float[count * Dims];
        for (int r = 0; r < count; r++)
        {
            Span<float> row = rows.AsSpan(r * Dims, Dims);
            for (int i = 0; i < Dims; i++)
                row[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
            VectorNorm.Normalize(row);
        }
        return rows;
    }

    private sealed class Columns : ManualConfig
    {
        public Columns()
        {
            AddColumn(new Column("queries/s", "queries answered per second, one thread",
                (summary, c) => summary[c]?.ResultStatistics is { } s ? $"{1e9 / s.Mean:N0}" : "-"));
            AddColumn(new Column("recall@10", "share of the exact top 10 found, 100 queries",
                (_, c) => c.Descriptor.WorkloadMethod.Name == nameof(Exact) ? "1.000"
                    : $"{RecallAt10((int)c.Parameters[nameof(EfSearch)]!):F3}"));
        }
    }

    private sealed class Column(string name, string legend, Func<Summary, BenchmarkCase, string> value) : IColumn
    {
        public string Id => name;
        public string ColumnName => name;
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => legend;
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => value(summary, benchmarkCase);
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => value(summary, benchmarkCase);
    }
}
