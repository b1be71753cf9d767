// `quill prune`: every linear weight of every block pruned per row (magnitude or Wanda, unstructured or N:M), written in the input's float type.
using System.Runtime.InteropServices;
using Quill.Formats.Gguf;
using Quill.Quantization;
using Quill.Tensors;
using Quill.Tensors.Quantization;

namespace Quill.Pruning;

/// <summary>What to prune and how.</summary>
public sealed record PruneOptions
{
    /// <summary>Fraction of each row's weights set to zero (unstructured); ignored with a <see cref="Pattern"/>.</summary>
    public double Sparsity { get; init; } = 0.5;

    /// <summary>N:M structured sparsity (2:4 keeps 2 of every 4 consecutive input weights); null: unstructured.</summary>
    public SparsityPattern? Pattern { get; init; }

    public PruneMethod Method { get; init; } = PruneMethod.Magnitude;

    /// <summary>Wanda's activations: Σx_j² per input column of each matrix (an importance matrix over calibration text).</summary>
    public ImportanceMatrix? Activations { get; init; }

    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Fraction of the input's bytes done.</summary>
    public IProgress<double>? Progress { get; init; }
}

/// <summary>One pruned tensor: its name, weights and the weights set to zero.</summary>
public sealed record PrunedTensor(string Name, long Weights, long Zeroed)
{
    public double Sparsity => Weights == 0 ? 0 : (double)Zeroed / Weights;
}

/// <summary>
/// Prunes the linear weights of every transformer block (blk.N.*.weight matrices: attention q/k/v/output, feed-forward
/// gate/up/down), row by row (<see cref="WeightPruning"/>); embeddings, norms and the output head are copied unchanged,
/// as the SparseGPT and Wanda papers leave them. The file keeps its metadata and each tensor its type (F32, F16 or
/// BF16: a pruned weight is an exact zero, a kept one round-trips exactly); a quantized input is refused (prune the
/// float model, then quantize). Wanda's column norms come from one pass of the dense model over calibration text
/// (<see cref="PruneOptions.Activations"/>), not from the partly pruned model layer by layer as the paper's code does.
/// One tensor is held in memory; the file is written atomically.
/// </summary>
public static class ModelPruner
{
    /// <summary>Prunes <paramref name="inputPath"/> into <paramref name="outputPath"/>; returns each pruned tensor's sparsity.</summary>
    public static IReadOnlyList<PrunedTensor> Prune(string inputPath, string outputPath, PruneOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.Equals(Path.GetFullPath(inputPath), Path.GetFullPath(outputPath), StringComparison.Ordinal))
        {
            throw new ArgumentException($"{outputPath}: the output must not be the input file");
        }
        if (options.Pattern is null && (options.Sparsity < 0 || options.Sparsity >= 1))
        {
            throw new ArgumentException($"--sparsity {options.Sparsity}: expected a fraction in [0, 1)");
        }
        if (options.Method == PruneMethod.Wanda && options.Activations is null)
        {
            throw new ArgumentException("--method wanda needs calibration activations (--calib TEXT)");
        }
        using GgufFile file = GgufFile.Open(inputPath);
        var prunable = file.Tensors.Where(IsBlockLinear).ToList();
        if (prunable.Count == 0) throw new ArgumentException($"{inputPath}: no block linear weights (blk.N.*.weight matrices) to prune");
        foreach (GgufTensorInfo t in prunable)
        {
            if (t.Type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16))
            {
                throw new NotSupportedException($"{inputPath}: tensor '{t.Name}' is {t.Type}; prune the F16 or F32 model, then quantize it (quill quantize)");
            }
            if (options.Pattern is { } p && t.Shape[0] % p.Group != 0)
            {
                throw new ArgumentException($"{inputPath}: tensor '{t.Name}' rows of {t.Shape[0]} are not whole {p} groups");
            }
            if (options.Method == PruneMethod.Wanda && options.Activations!.Entries.TryGetValue(t.Name, out var e) && e.SumOfSquares.Length != t.Shape[0])
            {
                throw new ArgumentException($"{inputPath}: the activations have {e.SumOfSquares.Length} columns for '{t.Name}', which has {t.Shape[0]}");
            }
            if (options.Method == PruneMethod.Wanda && !options.Activations!.Entries.ContainsKey(t.Name))
            {
                throw new ArgumentException($"{inputPath}: the calibration run saw no input for '{t.Name}'");
            }
        }

        var writer = new GgufWriter(file.Alignment);
        foreach ((string key, GgufValue value) in file.Metadata) writer.Set(key, value);
        var results = new List<PrunedTensor>();
        long total = file.Tensors.Sum(t => t.ByteLength), done = 0;
        foreach (GgufTensorInfo tensor in file.Tensors)
        {
            bool prune = IsBlockLinear(tensor);
            writer.AddTensor(tensor.Name, tensor.Type, tensor.Shape, stream =>
            {
                if (prune) results.Add(PruneTensor(file, tensor, options, stream));
                else stream.Write(file.GetTensorData(tensor));
                file.ReleaseTensorData(tensor);
                done += tensor.ByteLength;
                options.Progress?.Report((double)done / Math.Max(1, total));
            });
        }
        writer.WriteTo(outputPath);
        return results;
    }

    /// <summary>A 2-D blk.N.*.weight that is not a norm: the linear layers of a transformer block.</summary>
    public static bool IsBlockLinear(GgufTensorInfo t) =>
        t.Name.StartsWith("blk.", StringComparison.Ordinal) && t.Name.EndsWith(".weight", StringComparison.Ordinal)
        && !t.Name.Contains("norm", StringComparison.Ordinal) && t.Shape.Length == 2 && t.Shape[1] > 1;

    private static PrunedTensor PruneTensor(GgufFile file, GgufTensorInfo tensor, PruneOptions options, Stream output)
    {
        int columns = checked((int)tensor.Shape[0]), rows = checked((int)tensor.Shape[1]);
        QuantFormat? format = tensor.Type == GgmlType.F32 ? null : QuantFormats.Get(tensor.Type);
        int rowBytes = format?.RowBytes(columns) ?? columns * sizeof(float);
        ReadOnlySpan<byte> source = file.GetTensorData(tensor);
        byte[] bytes = source.ToArray();
        float[]? norms = null;
        if (options.Method == PruneMethod.Wanda)
        {
            float[] squares = options.Activations!.Entries[tensor.Name].SumOfSquares;
            norms = [.. squares.Select(s => MathF.Sqrt(s))];
        }
        long zeroed = 0;
        Parallel.For(0, rows, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Threads) }, () => new float[columns], (r, _, row) =>
        {
            Span<byte> encoded = bytes.AsSpan(r * rowBytes, rowBytes);
            if (format is null) MemoryMarshal.Cast<byte, float>(encoded).CopyTo(row);
            else format.Dequantize(encoded, row);
            int n = WeightPruning.PruneRow(row, norms, options.Sparsity, options.Pattern);
            if (format is null) MemoryMarshal.Cast<float, byte>(row.AsSpan()).CopyTo(encoded);
            else format.Quantize!(row, encoded);
            Interlocked.Add(ref zeroed, n);
            return row;
        }, _ => { });
        output.Write(bytes);
        return new PrunedTensor(tensor.Name, (long)rows * columns, zeroed);
    }
}
