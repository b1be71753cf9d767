// llama-imatrix's collection in C#: watches a model's matrix inputs over calibration text and builds an ImportanceMatrix.
using Quill.Evaluation;
using Quill.Models;

namespace Quill.Quantization;

/// <summary>How `quill imatrix` runs.</summary>
public sealed record ImportanceMatrixOptions
{
    /// <summary>Tokens per chunk (-c; 512 as llama-imatrix).</summary>
    public int Context { get; init; } = 512;

    /// <summary>At most this many chunks (--chunks); null: the whole text.</summary>
    public int? MaxChunks { get; init; }

    /// <summary>Also collect output.weight's input (llama-imatrix's --process-output; off by default).</summary>
    public bool ProcessOutput { get; init; }

    /// <summary>The name recorded in imatrix.datasets (the calibration file as given).</summary>
    public string Dataset { get; init; } = "";

    public IProgress<PerplexityProgress>? Progress { get; init; }
}

/// <summary>
/// llama-imatrix's collector: for every matrix multiplication of at least 16 tokens whose weight is in a block (blk.*)
/// (and output.weight with <see cref="ImportanceMatrixOptions.ProcessOutput"/>), Σ x_j² and Σ x_j per input column,
/// accumulated in float token by token as llama.cpp does, and the token count. The text is run as llama-perplexity runs
/// it (BOS-led chunks of the context length), so the perplexity comes with it.
/// </summary>
public sealed class ImportanceMatrixCollector : IMatMulInputObserver
{
    private const int MinimumRows = 16; // llama-imatrix ignores smaller batches
    private readonly bool _processOutput;
    private readonly Dictionary<string, (float[] Squares, float[] Sum, long Count)> _stats = new(StringComparer.Ordinal);

    public ImportanceMatrixCollector(bool processOutput = false) => _processOutput = processOutput;

    /// <summary>Runs <paramref name="text"/> through <paramref name="model"/> and returns the importance matrix and the perplexity it measured.</summary>
    public static (ImportanceMatrix Matrix, PerplexityResult Perplexity) Compute(LanguageModel model, string text, ImportanceMatrixOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new ImportanceMatrixOptions();
        if (model.Model is not IObservableModel observable)
        {
            throw new NotSupportedException(
                $"{model.Path}: importance matrices are collected from Llama-family models; this one does not report its matrix inputs");
        }
        var collector = new ImportanceMatrixCollector(options.ProcessOutput);
        observable.InputObserver = collector;
        try
        {
            PerplexityResult ppl = PerplexityEvaluator.Evaluate(model, text, new PerplexityOptions
            {
                Context = options.Context, MaxChunks = options.MaxChunks, Progress = options.Progress,
            });
            return (collector.ToMatrix([options.Dataset], options.Context), ppl);
        }
        finally
        {
            observable.InputObserver = null;
        }
    }

    public void Observe(string weightName, ReadOnlySpan<float> input, int rows, int columns)
    {
        if (rows < MinimumRows) return;
        if (!weightName.StartsWith("blk.", StringComparison.Ordinal) && !(_processOutput && weightName == "output.weight")) return;
        if (!_stats.TryGetValue(weightName, out var e))
        {
            e = (new float[columns], new float[columns], 0);
        }
        else if (e.Squares.Length != columns)
        {
            throw new InvalidOperationException($"'{weightName}' was multiplied with {columns} columns after {e.Squares.Length}");
        }
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> x = input.Slice(r * columns, columns);
            for (int j = 0; j < columns; j++)
            {
                e.Sum[j] += x[j];
                e.Squares[j] += x[j] * x[j];
            }
        }
        foreach (float v in e.Squares)
            if (!float.IsFinite(v)) throw new InvalidDataException($"'{weightName}': the sum of squared inputs overflowed ({v}) during calibration");
        _stats[weightName] = (e.Squares, e.Sum, e.Count + rows);
    }

    /// <summary>The statistics so far, chunk count as llama-imatrix counts it (the most tokens any matrix saw ÷ chunk size).</summary>
    public ImportanceMatrix ToMatrix(IReadOnlyList<string> datasets, int chunkSize)
    {
        var entries = _stats.ToDictionary(kv => kv.Key, kv => new ImportanceMatrix.Entry((float[])kv.Value.Squares.Clone(), (float[])kv.Value.Sum.Clone(),
            kv.Value.Count), StringComparer.Ordinal);
        long tokens = _stats.Count == 0 ? 0 : _stats.Values.Max(v => v.Count);
        return new ImportanceMatrix(entries, datasets, (int)(tokens / Math.Max(1, chunkSize)), chunkSize);
    }
}
