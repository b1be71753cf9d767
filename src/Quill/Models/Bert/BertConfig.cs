// The hyperparameters of a BERT encoder, read from its source (GGUF keys, config.json, or the ONNX graph's shapes).
using Quill.Embeddings;

namespace Quill.Models.Bert;

/// <summary>Sizes of a BERT encoder. C = <see cref="Dim"/>, H = <see cref="Heads"/>, D = <see cref="HeadSize"/>, F = <see cref="FeedForwardDim"/>.</summary>
/// <param name="VocabSize">V, rows of the word embedding.</param>
/// <param name="Dim">C, the hidden size.</param>
/// <param name="Layers">L, transformer blocks.</param>
/// <param name="Heads">H, attention heads.</param>
/// <param name="FeedForwardDim">F, the intermediate size.</param>
/// <param name="MaxPositions">Rows of the position embedding: the most tokens one sequence may have.</param>
/// <param name="TokenTypes">Rows of the token-type embedding (2 for BERT; Quill uses type 0).</param>
/// <param name="LayerNormEpsilon">ε of every LayerNorm.</param>
/// <param name="Pooling">The pooling the model was trained for (sentence-transformers' mean for MiniLM).</param>
public sealed record BertConfig(int VocabSize, int Dim, int Layers, int Heads, int FeedForwardDim, int MaxPositions, int TokenTypes,
    float LayerNormEpsilon, Pooling Pooling)
{
    /// <summary>D = C / H.</summary>
    public int HeadSize => Dim / Heads;

    /// <summary>
    /// Throws unless <paramref name="ids"/> is a sequence the encoder can run: 1 … <see cref="MaxPositions"/> token ids, each
    /// inside the vocabulary. <paramref name="parameter"/> names the caller's argument in the exception.
    /// </summary>
    public void CheckSequence(int[] ids, string parameter)
    {
        if (ids.Length == 0 || ids.Length > MaxPositions)
            throw new ArgumentException($"a sequence has {ids.Length} tokens; the model takes 1 to {MaxPositions}", parameter);
        foreach (int id in ids)
            if ((uint)id >= (uint)VocabSize)
                throw new ArgumentOutOfRangeException(parameter, $"token id {id} is outside the vocabulary of {VocabSize}");
    }

    /// <summary>Throws a one-line <see cref="InvalidDataException"/> naming <paramref name="source"/> when a size is impossible.</summary>
    public BertConfig Validate(string source)
    {
        Check(VocabSize > 0, "a positive vocabulary size", VocabSize);
        Check(Dim > 0, "a positive hidden size", Dim);
        Check(Layers > 0, "a positive layer count", Layers);
        Check(Heads > 0 && Dim % Heads == 0, $"a head count that divides the hidden size {Dim}", Heads);
        Check(FeedForwardDim > 0, "a positive intermediate size", FeedForwardDim);
        Check(MaxPositions > 0, "a positive number of positions", MaxPositions);
        Check(TokenTypes > 0, "at least one token type", TokenTypes);
        Check(LayerNormEpsilon > 0 && float.IsFinite(LayerNormEpsilon), "a positive LayerNorm epsilon", LayerNormEpsilon);
        return this;

        void Check(bool ok, string expected, object found)
        {
            if (!ok) throw new InvalidDataException($"{source}: expected {expected}, found {found}");
        }
    }
}
