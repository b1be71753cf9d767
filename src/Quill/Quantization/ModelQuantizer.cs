// `quill quantize`: a GGUF model to another GGUF with its matrices in a quantization mix, one tensor in memory at a time.
using System.Runtime.InteropServices;
using Quill.Formats.Gguf;
using Quill.Tensors;
using Quill.Tensors.Quantization;

namespace Quill.Quantization;

/// <summary>How a quantization runs, beside the mix.</summary>
public sealed record QuantizeOptions
{
    /// <summary>The per-tensor type choices (llama-quantize's flags).</summary>
    public TensorTypeOptions Types { get; init; } = new();

    /// <summary>Threads that quantize a tensor's rows (default: every core).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Reports after each tensor is written.</summary>
    public IProgress<QuantizeProgress>? Progress { get; init; }

    /// <summary>
    /// --imatrix: per-column importance for the quantizers' error weighting (ggml's quantize_* with quant_weights), and
    /// the two mix rules that change with one. Tensors it has no entry for are quantized without.
    /// </summary>
    public ImportanceMatrix? ImportanceMatrix { get; init; }

    /// <summary>Where <see cref="ImportanceMatrix"/> came from, recorded as quantize.imatrix.file.</summary>
    public string? ImportanceMatrixPath { get; init; }
}

/// <summary>Progress: tensor <paramref name="Index"/> (1-based) of <paramref name="Count"/> is written; input bytes read so far.</summary>
public sealed record QuantizeProgress(int Index, int Count, PlannedTensor Tensor, long BytesDone, long BytesTotal);

/// <summary>What a quantization did: the plan it followed, the input and output sizes, and the quantized input types it had to dequantize first.</summary>
public sealed record QuantizeResult(IReadOnlyList<PlannedTensor> Plan, long InputTensorBytes, long OutputTensorBytes, IReadOnlyList<GgmlType> Requantized);

/// <summary>
/// llama.cpp's llama_model_quantize, in C#: the metadata copied with <c>general.quantization_version</c> 2 and
/// <c>general.file_type</c> set to the mix, each tensor given the type <see cref="TensorTypePlanner"/> picks, in
/// llama.cpp's order, rows quantized by the formats' reference quantizers (bit for bit ggml's). A tensor that keeps its
/// type is copied; a tensor already quantized is dequantized, then quantized (llama.cpp refuses without
/// --allow-requantize; Quill does it and says so in <see cref="QuantizeResult.Requantized"/>). The file is written
/// through a temporary file and a rename, so a failure leaves nothing behind, and only one tensor is held in memory.
/// </summary>
public static class ModelQuantizer
{
    /// <summary>general.quantization_version as ggml writes it (GGML_QNT_VERSION).</summary>
    public const uint QuantizationVersion = 2;

    /// <summary>Quantizes <paramref name="inputPath"/> to <paramref name="outputPath"/> in <paramref name="mix"/>.</summary>
    public static QuantizeResult Quantize(string inputPath, string outputPath, QuantizationMix mix, QuantizeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(inputPath);
        ArgumentNullException.ThrowIfNull(outputPath);
        ArgumentNullException.ThrowIfNull(mix);
        options ??= new QuantizeOptions();
        if (string.Equals(Path.GetFullPath(inputPath), Path.GetFullPath(outputPath), StringComparison.Ordinal))
        {
            throw new ArgumentException($"{outputPath}: the output must not be the input file");
        }
        using GgufFile file = GgufFile.Open(inputPath);
        ImportanceMatrix? imatrix = options.ImportanceMatrix;
        TensorTypeOptions types = imatrix is null ? options.Types : options.Types with { HasImportanceMatrix = true };
        IReadOnlyList<PlannedTensor> plan = TensorTypePlanner.Plan(file.Tensors, mix, ModelShape.Of(file), types);
        options = options with { Types = types };
        Check(file, plan, mix, options);

        var writer = new GgufWriter(file.Alignment);
        foreach ((string key, GgufValue value) in file.Metadata) writer.Set(key, value);
        // As gguf_set_val does: an existing key is removed and the new value appended.
        writer.Remove("general.quantization_version");
        writer.Set("general.quantization_version", QuantizationVersion);
        writer.Remove("general.file_type");
        writer.Set("general.file_type", mix.FileType);
        foreach (string split in new[] { "split.no", "split.count", "split.tensors.count" }) writer.Remove(split);
        if (imatrix is not null)
        {
            // The keys llama-quantize adds when it is given an importance matrix.
            string source = options.ImportanceMatrixPath ?? "";
            writer.Set("quantize.imatrix.file", source.Length > 127 ? source[..127] : source);
            if (imatrix.Datasets.Count > 0) writer.Set("quantize.imatrix.dataset", imatrix.Datasets[0]);
            writer.Set("quantize.imatrix.entries_count", (uint)imatrix.Entries.Count);
            if (imatrix.ChunkCount > 0) writer.Set("quantize.imatrix.chunks_count", (uint)imatrix.ChunkCount);
        }

        long inputBytes = plan.Sum(p => p.Tensor.ByteLength), done = 0, outputBytes = 0;
        var buffers = new Buffers();
        for (int i = 0; i < plan.Count; i++)
        {
            PlannedTensor planned = plan[i];
            int index = i + 1;
            long outputLength = RowCount(planned.Tensor) * GgmlTypeInfo.RowBytes(planned.Target, planned.Tensor.Shape[0]);
            outputBytes += outputLength;
            writer.AddTensor(planned.Name, planned.Target, planned.Tensor.Shape, stream =>
            {
                if (planned.Converts) Convert(file, planned, buffers, options.Threads, Importance(imatrix, planned), stream);
                else stream.Write(file.GetTensorData(planned.Tensor));
                file.ReleaseTensorData(planned.Tensor); // memory stays near one tensor, not the whole mapped input
                done += planned.Tensor.ByteLength;
                options.Progress?.Report(new QuantizeProgress(index, plan.Count, planned, done, inputBytes));
            });
        }
        writer.WriteTo(outputPath);
        GgmlType[] requantized = [.. plan.Where(p => p.Converts && IsBlockQuantized(p.Tensor.Type)).Select(p => p.Tensor.Type).Distinct()];
        return new QuantizeResult(plan, inputBytes, outputBytes, requantized);
    }

    /// <summary>Everything that could stop the run is checked before a byte is written.</summary>
    private static void Check(GgufFile file, IReadOnlyList<PlannedTensor> plan, QuantizationMix mix, QuantizeOptions options)
    {
        // llama.cpp's tensor_requires_imatrix, for the mixes Quill writes: Q2_K tensors of a Q2_K_S file.
        if (mix == QuantizationMix.Q2_K_S && !options.Types.HasImportanceMatrix
            && plan.FirstOrDefault(p => p.Converts && p.Target == GgmlType.Q2_K && p.Name is not ("token_embd.weight" or "output.weight")) is { } needy)
        {
            throw new ArgumentException($"{file.Path}: Q2_K_S needs an importance matrix (--imatrix) for '{needy.Name}', as llama.cpp's does");
        }
        foreach (PlannedTensor p in plan.Where(p => p.Converts))
        {
            if (options.ImportanceMatrix?.Entries.TryGetValue(p.Name, out ImportanceMatrix.Entry? entry) == true
                && entry.SumOfSquares.Length != p.Tensor.Shape[0] && p.Name != "token_embd.weight")
            {
                throw new ArgumentException($"{file.Path}: the importance matrix has {entry.SumOfSquares.Length} columns for '{p.Name}', " +
                    $"which has {p.Tensor.Shape[0]}: it was computed for another model");
            }
            if (!QuantFormats.TryGet(p.Tensor.Type, out _) && p.Tensor.Type != GgmlType.F32)
            {
                throw new NotSupportedException($"{file.Path}: tensor '{p.Name}' is {p.Tensor.Type}, which Quill cannot read back to floats");
            }
            if (!QuantFormats.TryGet(p.Target, out QuantFormat? target) || target.Quantize is null)
            {
                throw new NotSupportedException($"{file.Path}: tensor '{p.Name}' would become {p.Target}, which Quill cannot write yet");
            }
        }
    }

    private static bool IsBlockQuantized(GgmlType type) => type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16);

    private static long RowCount(GgufTensorInfo tensor) => tensor.ElementCount / tensor.Shape[0];

    /// <summary>The floats and output bytes of the tensor in hand, grown as needed and reused.</summary>
    private sealed class Buffers
    {
        public float[] Floats = [];
        public byte[] Bytes = [];
    }

    /// <summary>The importance values for a tensor (llama.cpp's: none when the matrix has no entry or, for token_embd, another width).</summary>
    private static float[]? Importance(ImportanceMatrix? imatrix, PlannedTensor planned) =>
        imatrix?.ValuesFor(planned.Name) is { } values && values.Length == planned.Tensor.Shape[0] ? values : null;

    /// <summary>
    /// One tensor: to floats (a copy for F32, ggml's dequantization otherwise), then row by row to the target type,
    /// weighted by <paramref name="importance"/> where given and the type has a weighted quantizer.
    /// </summary>
    private static void Convert(GgufFile file, PlannedTensor planned, Buffers buffers, int threads, float[]? importance, Stream output)
    {
        GgufTensorInfo tensor = planned.Tensor;
        int columns = checked((int)tensor.Shape[0]);
        long rows = RowCount(tensor);
        long elements = checked(rows * columns);
        if (elements > Array.MaxLength)
        {
            throw new NotSupportedException($"{file.Path}: tensor '{tensor.Name}' has {elements} elements, more than one array holds");
        }
        if (buffers.Floats.Length < elements) buffers.Floats = new float[elements];
        float[] floats = buffers.Floats;
        ReadOnlySpan<byte> source = file.GetTensorData(tensor);
        if (tensor.Type == GgmlType.F32)
        {
            MemoryMarshal.Cast<byte, float>(source).CopyTo(floats);
        }
        else
        {
            QuantFormat from = QuantFormats.Get(tensor.Type);
            int inRow = from.RowBytes(columns);
            for (long r = 0; r < rows; r++)
                from.Dequantize(source.Slice(checked((int)(r * inRow)), inRow), floats.AsSpan(checked((int)(r * columns)), columns));
        }

        QuantFormat to = QuantFormats.Get(planned.Target);
        int outRow = to.RowBytes(columns);
        long outLength = rows * outRow;
        if (outLength > Array.MaxLength)
        {
            throw new NotSupportedException($"{file.Path}: tensor '{tensor.Name}' would take {outLength} bytes, more than one array holds");
        }
        if (buffers.Bytes.Length < outLength) buffers.Bytes = new byte[outLength];
        byte[] bytes = buffers.Bytes;
        RowQuantize quantize = importance is not null && to.QuantizeWeighted is { } weighted
            ? (source, destination) => weighted(source, destination, importance)
            : to.Quantize!;
        const int RowsPerChunk = 16;
        long chunks = (rows + RowsPerChunk - 1) / RowsPerChunk;
        Parallel.For(0L, chunks, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, chunk =>
        {
            long end = Math.Min(rows, (chunk + 1) * RowsPerChunk);
            for (long r = chunk * RowsPerChunk; r < end; r++)
                quantize(floats.AsSpan(checked((int)(r * columns)), columns), bytes.AsSpan(checked((int)(r * outRow)), outRow));
        });
        output.Write(bytes, 0, (int)outLength);
    }
}
