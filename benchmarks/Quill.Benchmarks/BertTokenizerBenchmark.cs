// Encode throughput of Quill's built-in bert-base-uncased against Microsoft.ML.Tokenizers' BertTokenizer on 1 MB of mixed text; not a correctness check.
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Quill.TestSupport.Corpora;
using Quill.Tokenizers.Pipeline;
using Quill.Tokenizers.WordPiece;
using MlBertTokenizer = Microsoft.ML.Tokenizers.BertTokenizer;

namespace Quill.Benchmarks;

/// <summary>
/// Both tokenizers read the same vocab.txt (the one built into Quill, written out to a temporary file) and encode the
/// same 1 MB <see cref="MixedCorpus"/> text with [CLS]/[SEP]. The MB/s column is UTF-8 megabytes of input per second.
/// Microsoft's BertTokenizer drops some chars BERT maps to tokens (see the issue), so the ids differ in places; the
/// work per byte is comparable.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class BertTokenizerBenchmark
{
    private const int CorpusBytes = 1 << 20;

    private string _text = "";
    private PipelineTokenizer _quill = null!;
    private MlBertTokenizer _microsoft = null!;
    private string _vocabPath = "";

    /// <summary>UTF-8 bytes of the benchmark text, for the MB/s column.</summary>
    public static int TextBytes { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        _text = MixedCorpus.Generate(CorpusBytes);
        TextBytes = Encoding.UTF8.GetByteCount(_text);
        _quill = BertTokenizerFactory.BuiltIn("bert-base-uncased");
        var model = (WordPieceModel)_quill.Parts.Model;
        var tokens = new string[model.VocabSize];
        foreach ((string token, int id) in model.Vocabulary) tokens[id] = token;
        _vocabPath = Path.Combine(Path.GetTempPath(), $"quill-bench-vocab-{Environment.ProcessId}.txt");
        File.WriteAllText(_vocabPath, string.Join('\n', tokens) + "\n");
        _microsoft = MlBertTokenizer.Create(_vocabPath);
    }

    [GlobalCleanup]
    public void Cleanup() => File.Delete(_vocabPath);

    [Benchmark(Baseline = true)]
    public int MicrosoftMlBert() => _microsoft.EncodeToIds(_text).Count;

    [Benchmark]
    public int QuillBert() => _quill.Encode(_text).Length;

    [Benchmark]
    public int QuillBertCount() => _quill.CountTokens(_text);

    private sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig() => AddColumn(new MegabytesPerSecondColumn());
    }

    private sealed class MegabytesPerSecondColumn : IColumn
    {
        public string Id => "MBps";
        public string ColumnName => "MB/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "UTF-8 megabytes (1e6 bytes) of input encoded per second";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            double? nanoseconds = summary[benchmarkCase]?.ResultStatistics?.Mean;
            int bytes = TextBytes > 0 ? TextBytes : Encoding.UTF8.GetByteCount(MixedCorpus.Generate(CorpusBytes));
            return nanoseconds is > 0 ? (bytes / 1e6 / (nanoseconds.Value / 1e9)).ToString("F1") : "-";
        }
    }
}
