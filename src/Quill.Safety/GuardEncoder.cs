// The guard's own tuned encoder as a change to the built-in one: low-rank deltas of the block projections and replaced norms and biases.
using Quill.Embeddings;
using Quill.Models.Bert;
using Quill.Tensors.Quantization;
using Quill.Training.Layers;

namespace Quill.Safety;

/// <summary>
/// How the guard's encoder differs from the base embedder (<see cref="Base"/>, all-MiniLM-L6-v2) after <c>quill guard train</c>
/// tuned it: each block projection W becomes W + B·A with B (rows, rank) and A (rank, columns) stored as Q8_0
/// (<see cref="Deltas"/>), and the blocks' biases and LayerNorm weights are replaced (<see cref="Vectors"/>). A few MB instead
/// of the 10.6 M values of the whole tuned blocks. <see cref="Wrap"/> builds the tuned embedder beside the base one, so the
/// server's /v1/embeddings keeps serving the base model's vectors.
/// </summary>
public sealed record GuardEncoder
{
    /// <summary>The embedder the deltas apply to (its model name).</summary>
    public required string Base { get; init; }

    /// <summary>Low-rank changes of the block projections.</summary>
    public required GuardEncoderDelta[] Deltas { get; init; }

    /// <summary>Replaced vector tensors (biases, LayerNorm weights and biases).</summary>
    public required GuardEncoderVector[] Vectors { get; init; }

    /// <summary>The tuned embedder's model name: the base's with "+guard", so its vectors are never mixed with the base's.</summary>
    public string ModelName => Base + "+guard";

    /// <summary>
    /// An embedder over the tuned encoder, sharing <paramref name="embedder"/>'s tokenizer, pooling and thread count (and its
    /// unchanged embedding tables); <paramref name="embedder"/> stays usable and is not owned. <paramref name="source"/> names
    /// the guard model in errors.
    /// </summary>
    public BertEmbedder Wrap(ITextEmbedder embedder, string source)
    {
        if (embedder is not BertEmbedder bert || embedder.ModelName != Base)
            throw new InvalidDataException($"{source}: the guard's encoder was tuned from '{Base}', but the embedder is '{embedder.ModelName}'");
        BertCheckpoint tuned = Apply(bert.Model.Checkpoint, source);
        return new BertEmbedder(BertModel.Load(tuned, bert.Model.Pool.ThreadCount), bert.Tokenizer, ModelName, bert.Pooling, bert.Normalize)
        {
            BatchSize = bert.BatchSize,
        };
    }

    /// <summary>
    /// <paramref name="checkpoint"/> with the deltas added and the vectors replaced; its other tensors are shared, not copied.
    /// Every name, shape, rank, byte count and value is checked first (one-line <see cref="InvalidDataException"/>s naming
    /// <paramref name="source"/>), so a damaged file cannot index out of range or allocate more than the base model's size.
    /// </summary>
    public BertCheckpoint Apply(BertCheckpoint checkpoint, string source)
    {
        var layout = BertCheckpoint.Layout(checkpoint.Config).ToDictionary(t => t.Name, t => (t.Rows, t.Columns), StringComparer.Ordinal);
        var tensors = new Dictionary<string, BertTensor>(checkpoint.Tensors, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (GuardEncoderDelta delta in Deltas ?? [])
        {
            string name = delta?.Name ?? throw new InvalidDataException($"{source}: an encoder delta without a name");
            if (!seen.Add(name)) throw new InvalidDataException($"{source}: encoder tensor '{name}' appears twice");
            if (!layout.TryGetValue(name, out var shape) || shape.Rows == 1 || !name.StartsWith("blk.", StringComparison.Ordinal))
                throw new InvalidDataException($"{source}: encoder delta '{name}' is not a block projection of '{Base}'");
            if (delta.Rows != shape.Rows || delta.Columns != shape.Columns)
                throw new InvalidDataException($"{source}: encoder delta '{name}' is {delta.Rows} × {delta.Columns}; " +
                    $"the model's is {shape.Rows} × {shape.Columns}");
            if (delta.Rank < 1 || delta.Rank > Math.Min(shape.Rows, shape.Columns))
                throw new InvalidDataException($"{source}: encoder delta '{name}' has rank {delta.Rank}; expected 1 to {Math.Min(shape.Rows, shape.Columns)}");
            float[] b = Dequantize(source, name + " B", delta.B, (long)shape.Rows * delta.Rank);
            float[] a = Dequantize(source, name + " A", delta.A, (long)delta.Rank * shape.Columns);
            BertTensor baseTensor = checkpoint.Get(name, shape.Rows, shape.Columns);
            BertTensor changed = BertTensor.Allocate(shape.Rows, shape.Columns);
            baseTensor.Data.CopyTo(changed.Data, 0);
            LoraAdapter.Fold(changed.Data, a, b, shape.Columns, shape.Rows, delta.Rank, scale: 1);
            tensors[name] = changed;
        }
        foreach (GuardEncoderVector vector in Vectors ?? [])
        {
            string name = vector?.Name ?? throw new InvalidDataException($"{source}: an encoder vector without a name");
            if (!seen.Add(name)) throw new InvalidDataException($"{source}: encoder tensor '{name}' appears twice");
            if (!layout.TryGetValue(name, out var shape) || shape.Rows != 1 || !name.StartsWith("blk.", StringComparison.Ordinal))
                throw new InvalidDataException($"{source}: encoder vector '{name}' is not a block bias or norm of '{Base}'");
            float[] values = vector.Values ?? [];
            if (values.Length != shape.Columns)
                throw new InvalidDataException($"{source}: encoder vector '{name}' has {values.Length} values; the model's has {shape.Columns}");
            if (!values.All(float.IsFinite)) throw new InvalidDataException($"{source}: encoder vector '{name}' holds a value that is not finite");
            BertTensor replaced = BertTensor.Allocate(1, shape.Columns);
            values.CopyTo(replaced.Data, 0);
            tensors[name] = replaced;
        }
        return new BertCheckpoint(ModelName, checkpoint.Config, tensors, checkpoint.Vocabulary);
    }

    private static float[] Dequantize(string source, string what, byte[]? blocks, long count)
    {
        if (count % Q8_0Block.BlockSize != 0)
            throw new InvalidDataException($"{source}: encoder factor '{what}' has {count} values, not a multiple of {Q8_0Block.BlockSize} (Q8_0)");
        long expected = count / Q8_0Block.BlockSize * Q8_0Block.BlockBytes;
        if (blocks is null || blocks.Length != expected)
            throw new InvalidDataException($"{source}: encoder factor '{what}' has {blocks?.Length ?? 0} bytes; {count} Q8_0 values take {expected}");
        var values = new float[count];
        Q8_0Block.Dequantize(blocks, values);
        if (!values.All(float.IsFinite)) throw new InvalidDataException($"{source}: encoder factor '{what}' holds a value that is not finite");
        return values;
    }
}

/// <summary>W + B·A for the projection <see cref="Name"/> (GGUF name, e.g. blk.0.attn_q.weight), B and A as Q8_0 bytes.</summary>
public sealed record GuardEncoderDelta(string Name, int Rows, int Columns, int Rank, byte[] B, byte[] A)
{
    /// <summary>Quantizes B (rows, rank) and A (rank, columns) to Q8_0; rows·rank and rank·columns must be multiples of 32.</summary>
    public static GuardEncoderDelta Create(string name, int rows, int columns, int rank, ReadOnlySpan<float> b, ReadOnlySpan<float> a) =>
        new(name, rows, columns, rank, Quantize(b), Quantize(a));

    private static byte[] Quantize(ReadOnlySpan<float> values)
    {
        if (values.Length % Q8_0Block.BlockSize != 0)
            throw new ArgumentException($"Q8_0 needs a multiple of {Q8_0Block.BlockSize} values, found {values.Length}", nameof(values));
        var blocks = new byte[values.Length / Q8_0Block.BlockSize * Q8_0Block.BlockBytes];
        Q8_0Block.Quantize(values, blocks);
        return blocks;
    }
}

/// <summary>A replaced vector tensor (a bias or a LayerNorm weight or bias) of the tuned blocks.</summary>
public sealed record GuardEncoderVector(string Name, float[] Values);
