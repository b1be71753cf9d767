// A BERT encoder's input layer: word, token-type 0 and position embeddings summed, then LayerNorm; inference and training share it.
using System.Numerics.Tensors;
using Quill.Tensors.Kernels;

namespace Quill.Models.Bert;

/// <summary>x = LayerNorm(word[id] + type[0] + position[p]), one token at a time, over a checkpoint's tables (kept, not copied).</summary>
public sealed class BertInputEmbedding
{
    private readonly BertTensor _words, _positions, _types, _norm, _normBias;
    private readonly float _eps;

    public BertInputEmbedding(BertCheckpoint checkpoint)
    {
        var c = checkpoint.Config;
        _words = checkpoint.Get(BertTensorNames.TokenEmbedding, c.VocabSize, c.Dim);
        _positions = checkpoint.Get(BertTensorNames.PositionEmbedding, c.MaxPositions, c.Dim);
        _types = checkpoint.Get(BertTensorNames.TokenTypes, c.TokenTypes, c.Dim);
        _norm = checkpoint.Get(BertTensorNames.EmbeddingNorm, 1, c.Dim);
        _normBias = checkpoint.Get(BertTensorNames.EmbeddingNormBias, 1, c.Dim);
        _eps = c.LayerNormEpsilon;
    }

    /// <summary>Writes token <paramref name="id"/> at <paramref name="position"/> into <paramref name="row"/> (C values).</summary>
    public void Row(int id, int position, Span<float> row)
    {
        TensorPrimitives.Add(_words.Row(id), _types.Row(0), row);
        TensorPrimitives.Add(row, _positions.Row(position), row);
        LayerNorm.Forward(row, _norm.Data, _normBias.Data, _eps, row);
    }
}
