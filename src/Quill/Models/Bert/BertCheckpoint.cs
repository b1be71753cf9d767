// A BERT encoder's weights in F32 under GGUF names plus its config and vocabulary, whatever file they came from;
// the meeting point of the ONNX, safetensors and GGUF readers and the GGUF writer. Not the forward pass.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Quill.Models.Bert;

/// <summary>
/// A row-major F32 tensor (Rows, Columns) in pinned memory: a linear weight is (N, K) (GGUF shape [K, N]), an embedding
/// (V, C), a vector (1, C). The array is allocated on the pinned heap so kernels may hold pointers into it.
/// </summary>
public sealed class BertTensor
{
    private BertTensor(float[] data, int rows, int columns)
    {
        Data = data;
        Rows = rows;
        Columns = columns;
    }

    public float[] Data { get; }
    public int Rows { get; }
    public int Columns { get; }

    /// <summary>A zeroed tensor on the pinned heap.</summary>
    public static BertTensor Allocate(int rows, int columns) =>
        new(GC.AllocateArray<float>(checked(rows * columns), pinned: true), rows, columns);

    public Span<float> Row(int row) => Data.AsSpan(row * Columns, Columns);

    internal unsafe float* Pointer => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Data));
}

/// <summary>The weights (GGUF names), config and WordPiece vocabulary of a BERT encoder.</summary>
public sealed class BertCheckpoint
{
    public BertCheckpoint(string name, BertConfig config, IReadOnlyDictionary<string, BertTensor> tensors, BertVocabulary? vocabulary)
    {
        Name = name;
        Config = config;
        Tensors = tensors;
        Vocabulary = vocabulary;
    }

    /// <summary>A model name for messages and for <c>general.name</c>.</summary>
    public string Name { get; }
    public BertConfig Config { get; }
    public IReadOnlyDictionary<string, BertTensor> Tensors { get; }

    /// <summary>The WordPiece vocabulary when the source had one (GGUF, a folder with vocab.txt); ONNX files carry none.</summary>
    public BertVocabulary? Vocabulary { get; }

    public BertCheckpoint WithVocabulary(BertVocabulary vocabulary) => new(Name, Config, Tensors, vocabulary);

    /// <summary>The tensor <paramref name="name"/>, checked to be (rows, columns).</summary>
    public BertTensor Get(string name, int rows, int columns)
    {
        if (!Tensors.TryGetValue(name, out var tensor))
            throw new InvalidDataException($"{Name}: expected a BERT tensor '{name}', found none among {Tensors.Count} tensors");
        if (tensor.Rows != rows || tensor.Columns != columns)
            throw new InvalidDataException($"{Name}: expected tensor '{name}' of ({rows}, {columns}), found ({tensor.Rows}, {tensor.Columns})");
        return tensor;
    }

    /// <summary>Every tensor the forward pass needs, in GGUF order, with its (rows, columns).</summary>
    public static IEnumerable<(string Name, int Rows, int Columns)> Layout(BertConfig c)
    {
        yield return (BertTensorNames.TokenEmbedding, c.VocabSize, c.Dim);
        yield return (BertTensorNames.TokenTypes, c.TokenTypes, c.Dim);
        yield return (BertTensorNames.PositionEmbedding, c.MaxPositions, c.Dim);
        yield return (BertTensorNames.EmbeddingNorm, 1, c.Dim);
        yield return (BertTensorNames.EmbeddingNormBias, 1, c.Dim);
        for (int l = 0; l < c.Layers; l++)
        {
            yield return (BertTensorNames.Query(l), c.Dim, c.Dim);
            yield return (BertTensorNames.QueryBias(l), 1, c.Dim);
            yield return (BertTensorNames.Key(l), c.Dim, c.Dim);
            yield return (BertTensorNames.KeyBias(l), 1, c.Dim);
            yield return (BertTensorNames.Value(l), c.Dim, c.Dim);
            yield return (BertTensorNames.ValueBias(l), 1, c.Dim);
            yield return (BertTensorNames.AttentionOutput(l), c.Dim, c.Dim);
            yield return (BertTensorNames.AttentionOutputBias(l), 1, c.Dim);
            yield return (BertTensorNames.AttentionNorm(l), 1, c.Dim);
            yield return (BertTensorNames.AttentionNormBias(l), 1, c.Dim);
            yield return (BertTensorNames.Up(l), c.FeedForwardDim, c.Dim);
            yield return (BertTensorNames.UpBias(l), 1, c.FeedForwardDim);
            yield return (BertTensorNames.Down(l), c.Dim, c.FeedForwardDim);
            yield return (BertTensorNames.DownBias(l), 1, c.Dim);
            yield return (BertTensorNames.OutputNorm(l), 1, c.Dim);
            yield return (BertTensorNames.OutputNormBias(l), 1, c.Dim);
        }
    }

    /// <summary>Throws unless every tensor of <see cref="Layout"/> is present with its shape.</summary>
    public BertCheckpoint Validate()
    {
        foreach (var (name, rows, columns) in Layout(Config)) Get(name, rows, columns);
        return this;
    }
}
