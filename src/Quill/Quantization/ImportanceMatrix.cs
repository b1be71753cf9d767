// An importance matrix (llama-imatrix's GGUF format): per weight matrix, the sum of squared inputs per column and the token count.
using Quill.Formats;
using Quill.Formats.Gguf;
using Quill.Tensors;

namespace Quill.Quantization;

/// <summary>
/// What llama-imatrix measures and llama-quantize reads: for each weight matrix W (by its tensor name), over every
/// calibration token, Σ x_j² per input column j (<see cref="Entry.SumOfSquares"/>), Σ x_j (<see cref="Entry.Sum"/>) and
/// the number of tokens. The quantizers weight each column's rounding error by the mean square x_j² (sum ÷ count).
/// Stored as llama.cpp stores it: general.type "imatrix", imatrix.datasets, imatrix.chunk_count, imatrix.chunk_size,
/// and per matrix the F32 tensors NAME.in_sum2 [columns, 1], NAME.counts [1, 1] and NAME.in_sum [columns, 1], in name order.
/// </summary>
public sealed class ImportanceMatrix
{
    /// <summary>One matrix's statistics (a dense matrix: one count).</summary>
    public sealed record Entry(float[] SumOfSquares, float[] Sum, float Count);

    public ImportanceMatrix(IReadOnlyDictionary<string, Entry> entries, IReadOnlyList<string> datasets, int chunkCount, int chunkSize)
    {
        Entries = entries;
        Datasets = datasets;
        ChunkCount = chunkCount;
        ChunkSize = chunkSize;
    }

    public IReadOnlyDictionary<string, Entry> Entries { get; }

    /// <summary>The calibration files (imatrix.datasets).</summary>
    public IReadOnlyList<string> Datasets { get; }

    /// <summary>Chunks the statistics were collected over (imatrix.chunk_count) and their size in tokens (imatrix.chunk_size).</summary>
    public int ChunkCount { get; }

    public int ChunkSize { get; }

    /// <summary>
    /// The per-column weights the quantizers take for tensor <paramref name="name"/>: sum of squares ÷ count (all ones
    /// for a matrix that saw no token, as llama-quantize fills partial data), or null when the matrix has no entry.
    /// </summary>
    public float[]? ValuesFor(string name)
    {
        if (!Entries.TryGetValue(name, out Entry? e)) return null;
        var values = new float[e.SumOfSquares.Length];
        if (e.Count > 0)
        {
            for (int i = 0; i < values.Length; i++) values[i] = e.SumOfSquares[i] / e.Count;
        }
        else
        {
            Array.Fill(values, 1f);
        }
        return values;
    }

    /// <summary>Writes the file as llama-imatrix does (atomically).</summary>
    public void Save(string path)
    {
        var writer = new GgufWriter();
        writer.Set("general.type", "imatrix");
        writer.Set("imatrix.datasets", Datasets.ToArray());
        writer.Set("imatrix.chunk_count", (uint)ChunkCount);
        writer.Set("imatrix.chunk_size", (uint)ChunkSize);
        foreach ((string name, Entry e) in Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            writer.AddTensor(name + ".in_sum2", GgmlType.F32, [e.SumOfSquares.Length, 1], Bytes(e.SumOfSquares));
            writer.AddTensor(name + ".counts", GgmlType.F32, [1, 1], Bytes([e.Count]));
            writer.AddTensor(name + ".in_sum", GgmlType.F32, [e.Sum.Length, 1], Bytes(e.Sum));
        }
        writer.WriteTo(path);
    }

    private static byte[] Bytes(float[] values)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return bytes;
    }

    /// <summary>
    /// Reads an importance matrix in llama-imatrix's GGUF format. Every NAME.in_sum2 needs its NAME.counts; a matrix
    /// with several sub-matrices (experts) is refused (Quill's models are dense); counts and values must be finite.
    /// </summary>
    public static ImportanceMatrix Load(string path)
    {
        using GgufFile file = GgufFile.Open(path);
        if (file.GetString("general.type") is { } type && type != "imatrix")
        {
            throw new ModelFormatException($"{path}: expected an importance matrix (general.type 'imatrix'), found general.type '{type}'");
        }
        string[] datasets = file.GetStringArray("imatrix.datasets")
            ?? throw new ModelFormatException($"{path}: expected imatrix.datasets (an importance matrix from llama-imatrix or quill imatrix)");
        int chunkCount = (int)(file.GetInteger("imatrix.chunk_count") ?? throw new ModelFormatException($"{path}: expected imatrix.chunk_count"));
        int chunkSize = (int)(file.GetInteger("imatrix.chunk_size") ?? throw new ModelFormatException($"{path}: expected imatrix.chunk_size"));
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        foreach (GgufTensorInfo sums in file.Tensors.Where(t => t.Name.EndsWith(".in_sum2", StringComparison.Ordinal)))
        {
            string name = sums.Name[..^".in_sum2".Length];
            GgufTensorInfo counts = file.FindTensor(name + ".counts")
                ?? throw new ModelFormatException($"{path}: tensor '{sums.Name}' has no '{name}.counts'");
            if (sums.Type != GgmlType.F32 || counts.Type != GgmlType.F32)
            {
                throw new ModelFormatException($"{path}: '{name}' statistics must be F32, found {sums.Type} and {counts.Type}");
            }
            long matrices = sums.Shape.Length > 1 ? sums.Shape[1] : 1;
            if (matrices != 1 || counts.ElementCount != 1)
            {
                throw new ModelFormatException($"{path}: '{name}' holds {matrices} matrices (experts); Quill reads dense importance matrices only");
            }
            float[] sumOfSquares = Floats(file, sums, path);
            float count = Floats(file, counts, path)[0];
            float[] sum = file.FindTensor(name + ".in_sum") is { } linear && linear.Type == GgmlType.F32 && linear.ElementCount == sums.ElementCount
                ? Floats(file, linear, path)
                : new float[sumOfSquares.Length];
            if (!float.IsFinite(count) || count < 0) throw new ModelFormatException($"{path}: '{name}.counts' is {count}, expected a token count");
            if (sumOfSquares.Any(v => !float.IsFinite(v) || v < 0))
            {
                throw new ModelFormatException($"{path}: '{name}.in_sum2' holds a negative or non-finite value");
            }
            entries[name] = new Entry(sumOfSquares, sum, count);
        }
        if (entries.Count == 0) throw new ModelFormatException($"{path}: no importance matrix entries (no *.in_sum2 tensors)");
        return new ImportanceMatrix(entries, datasets, chunkCount, chunkSize);
    }

    private static float[] Floats(GgufFile file, GgufTensorInfo tensor, string path)
    {
        ReadOnlySpan<byte> bytes = file.GetTensorData(tensor);
        if (bytes.Length != tensor.ElementCount * sizeof(float)) throw new ModelFormatException($"{path}: tensor '{tensor.Name}' is truncated");
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }
}
