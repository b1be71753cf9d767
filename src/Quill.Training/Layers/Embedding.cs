// Token embedding lookup for training: rows of a (Vocab, Dim) table, gradient scattered back; no input gradient.
namespace Quill.Training.Layers;

/// <summary>tokens (rows) → y (rows, Dim) = Weight[token]; Backward adds dy rows into <see cref="WeightGrad"/>.</summary>
public sealed class Embedding
{
    private int[] _tokens = [];
    private int _rows;

    public Embedding(int vocabSize, int dim)
    {
        VocabSize = vocabSize;
        Dim = dim;
        Weight = new float[vocabSize * dim];
        WeightGrad = new float[Weight.Length];
    }

    public int VocabSize { get; }
    public int Dim { get; }
    public float[] Weight { get; }
    public float[] WeightGrad { get; }

    public void Forward(ReadOnlySpan<int> tokens, Span<float> y)
    {
        LayerShape.Require(y.Length >= tokens.Length * Dim, nameof(Embedding), $"output of {tokens.Length * Dim}", y.Length);
        if (_tokens.Length < tokens.Length) _tokens = new int[tokens.Length];
        for (int t = 0; t < tokens.Length; t++)
        {
            int token = tokens[t];
            LayerShape.Require((uint)token < (uint)VocabSize, nameof(Embedding), $"a token id below {VocabSize} at row {t}", token);
            Weight.AsSpan(token * Dim, Dim).CopyTo(y.Slice(t * Dim, Dim));
            _tokens[t] = token;
        }
        _rows = tokens.Length;
    }

    /// <summary>dy (rows, Dim) of the last Forward; repeated tokens accumulate.</summary>
    public void Backward(ReadOnlySpan<float> dy)
    {
        LayerShape.Require(dy.Length >= _rows * Dim, nameof(Embedding), $"output gradient of {_rows * Dim}", dy.Length);
        for (int t = 0; t < _rows; t++)
        {
            var row = WeightGrad.AsSpan(_tokens[t] * Dim, Dim);
            System.Numerics.Tensors.TensorPrimitives.Add(row, dy.Slice(t * Dim, Dim), row);
        }
    }
}
