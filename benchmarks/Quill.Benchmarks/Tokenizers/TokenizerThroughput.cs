// Encode throughput of Quill's tokenizers beside Microsoft.ML.Tokenizers on the same 1 MB mixed text, in MB/s; not a correctness test.
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Quill.TestSupport.Corpora;
using Quill.Tokenizers.Tiktoken;
using Ml = Microsoft.ML.Tokenizers;

namespace Quill.Benchmarks.Tokenizers;

/// <summary>
/// One row pair per tokenizer, the Microsoft.ML.Tokenizers peer as baseline: the Ratio of a Quill row is Quill's time
/// over the peer's (0.5 = twice as fast). MB/s counts the text's UTF-8 bytes. Both sides are warm (word caches filled)
/// before measuring. Run with <c>./bench tokenizers</c>.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class TokenizerThroughput
{
    public const int CorpusBytes = 1 << 20;

    private string _text = "";
    private TiktokenTokenizer _quillCl100k = null!;
    private TiktokenTokenizer _quillGpt2 = null!;
    private Ml.Tokenizer _mlCl100k = null!;
    private Ml.Tokenizer _mlGpt2 = null!;

    /// <summary>UTF-8 bytes of the text every row encodes.</summary>
    public static long TextBytes { get; private set; } = CorpusBytes;

    [GlobalSetup]
    public void Setup()
    {
        _text = MixedCorpus.Generate(CorpusBytes);
        TextBytes = System.Text.Encoding.UTF8.GetByteCount(_text);
        _quillCl100k = TiktokenTokenizer.BuiltIn("cl100k_base");
        _quillGpt2 = TiktokenTokenizer.BuiltIn("gpt2");
        _mlCl100k = Ml.TiktokenTokenizer.CreateForEncoding("cl100k_base");
        _mlGpt2 = Ml.TiktokenTokenizer.CreateForModel("gpt2");
        // BERT (WordPiece, bert-base-uncased): the BERT helper adds its two tokenizers here.
    }

    [BenchmarkCategory("cl100k_base"), Benchmark(Baseline = true)]
    public int MicrosoftMl_Cl100k() => _mlCl100k.EncodeToIds(_text).Count;

    [BenchmarkCategory("cl100k_base"), Benchmark]
    public int Quill_Cl100k() => _quillCl100k.Encode(_text, parseSpecial: true).Length;

    [BenchmarkCategory("gpt2"), Benchmark(Baseline = true)]
    public int MicrosoftMl_Gpt2() => _mlGpt2.EncodeToIds(_text).Count;

    [BenchmarkCategory("gpt2"), Benchmark]
    public int Quill_Gpt2() => _quillGpt2.Encode(_text, parseSpecial: true).Length;

    // BERT rows go here, same shape: [BenchmarkCategory("bert-base-uncased"), Benchmark(Baseline = true)] for the
    // Microsoft.ML.Tokenizers BertTokenizer, [BenchmarkCategory("bert-base-uncased"), Benchmark] for Quill's.

    private sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig() => AddColumn(new MegabytesPerSecondColumn());
    }

    /// <summary>The text's UTF-8 megabytes (10^6 bytes) over the mean time of one encode.</summary>
    private sealed class MegabytesPerSecondColumn : IColumn
    {
        public string Id => nameof(MegabytesPerSecondColumn);
        public string ColumnName => "MB/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "UTF-8 megabytes of text encoded per second";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            double? nanoseconds = summary[benchmarkCase]?.ResultStatistics?.Mean;
            return nanoseconds is > 0 ? (TextBytes / 1e6 / (nanoseconds.Value / 1e9)).ToString("F1") : "?";
        }
    }
}
