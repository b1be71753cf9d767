// Sentences/s of Quill's BERT encoder beside ONNX Runtime on all-MiniLM-L6-v2 (32 sentences of 64 tokens, same
// threads, ids in, mean-pooled vectors out); not a correctness test (MiniLMDifferentialTests is).
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Quill.Embeddings;
using Quill.Formats.Onnx;
using Quill.Models.Bert;
using Quill.Tokenizers.WordPiece;

namespace Quill.Benchmarks;

/// <summary>
/// ONNX Runtime (graph optimisations on, IntraOpNumThreads = <see cref="Threads"/>) is the baseline; the Ratio of the
/// Quill row is Quill's time over ORT's (0.5 = twice as fast). Both get the same token ids as one padded / packed batch
/// and return mean-pooled vectors. Run with <c>./bench --filter '*EncoderThroughput*' --job short</c>.
/// </summary>
[Config(typeof(SentencesConfig))]
public class EncoderThroughput
{
    public const int BatchSize = 32, TokensPerSentence = 64;

    /// <summary>Threads both engines use: every core.</summary>
    public static int Threads => Environment.ProcessorCount;

    private BertModel _quill = null!;
    private InferenceSession _ort = null!;
    private List<int[]> _ids = [];
    private float[] _hidden = [];
    private readonly float[][] _vectors = new float[BatchSize][];
    private DenseTensor<long> _inputIds = null!, _mask = null!, _types = null!;

    [GlobalSetup]
    public void Setup()
    {
        string onnxPath = DefaultEmbedder.OnnxPath;
        using (var onnx = OnnxFile.Open(onnxPath)) _quill = BertModel.Load(BertOnnxReader.Read(onnx), Threads);
        _ort = new InferenceSession(onnxPath, new SessionOptions { IntraOpNumThreads = Threads, InterOpNumThreads = 1 });
        var tokenizer = BertTokenizerFactory.BuiltIn("bert-base-uncased");
        string text = "Semantic search ranks documents by the similarity of their embeddings, and the quick brown fox jumps over "
            + "the lazy dog while the orchestra plays Beethoven's Ninth Symphony to a standing ovation in 1969 on the Moon. ";
        int[] all = tokenizer.Encode(string.Concat(Enumerable.Repeat(text, 40)), addSpecial: false);
        for (int s = 0; s < BatchSize; s++)
            _ids.Add([101, .. all.AsSpan(s * 7, TokensPerSentence - 2), 102]);
        _hidden = new float[BatchSize * TokensPerSentence * _quill.Config.Dim];
        for (int s = 0; s < BatchSize; s++) _vectors[s] = new float[_quill.Config.Dim];
        _inputIds = new DenseTensor<long>([BatchSize, TokensPerSentence]);
        _mask = new DenseTensor<long>([BatchSize, TokensPerSentence]);
        _types = new DenseTensor<long>([BatchSize, TokensPerSentence]);
        for (int s = 0; s < BatchSize; s++)
            for (int t = 0; t < TokensPerSentence; t++)
            {
                _inputIds[s, t] = _ids[s][t];
                _mask[s, t] = 1;
            }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _quill.Dispose();
        _ort.Dispose();
    }

    [Benchmark(Baseline = true)]
    public float OnnxRuntime()
    {
        using var results = _ort.Run(
        [
            NamedOnnxValue.CreateFromTensor("input_ids", _inputIds),
            NamedOnnxValue.CreateFromTensor("attention_mask", _mask),
            NamedOnnxValue.CreateFromTensor("token_type_ids", _types),
        ]);
        var hidden = (DenseTensor<float>)results.First(r => r.Name == "last_hidden_state").AsTensor<float>();
        int dim = _quill.Config.Dim;
        for (int s = 0; s < BatchSize; s++)
        {
            TextPooling.Pool(hidden.Buffer.Span.Slice(s * TokensPerSentence * dim, TokensPerSentence * dim), TokensPerSentence, Pooling.Mean, _vectors[s]);
            TextPooling.Normalize(_vectors[s]);
        }
        return _vectors[0][0];
    }

    [Benchmark]
    public float Quill()
    {
        _quill.Encode(_ids, _hidden);
        int dim = _quill.Config.Dim;
        for (int s = 0; s < BatchSize; s++)
        {
            TextPooling.Pool(_hidden.AsSpan(s * TokensPerSentence * dim, TokensPerSentence * dim), TokensPerSentence, Pooling.Mean, _vectors[s]);
            TextPooling.Normalize(_vectors[s]);
        }
        return _vectors[0][0];
    }

    private sealed class SentencesConfig : ManualConfig
    {
        public SentencesConfig() => AddColumn(new SentencesPerSecondColumn());
    }

    /// <summary>Sentences of the batch over the mean time of one batch.</summary>
    private sealed class SentencesPerSecondColumn : IColumn
    {
        public string Id => nameof(SentencesPerSecondColumn);
        public string ColumnName => "sentences/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => $"sentences of {TokensPerSentence} tokens encoded per second, batches of {BatchSize}, {Threads} threads";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            double? nanoseconds = summary[benchmarkCase]?.ResultStatistics?.Mean;
            return nanoseconds is > 0 ? (BatchSize / (nanoseconds.Value / 1e9)).ToString("F1") : "?";
        }
    }
}
