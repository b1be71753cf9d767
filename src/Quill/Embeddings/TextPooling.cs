// Turns one text's token vectors into one vector (mean, [CLS], max) and L2-normalises.
using System.Numerics.Tensors;

namespace Quill.Embeddings;

public static class TextPooling
{
    /// <summary>Pools <paramref name="hidden"/> (T, C) — only the text's own tokens, no padding — into <paramref name="vector"/> (C).</summary>
    public static void Pool(ReadOnlySpan<float> hidden, int tokens, Pooling pooling, Span<float> vector)
    {
        int c = vector.Length;
        if (tokens <= 0 || hidden.Length < tokens * c)
            throw new ArgumentException($"expected {tokens} × {c} hidden values, found {hidden.Length}", nameof(hidden));
        hidden[..c].CopyTo(vector);
        if (pooling == Pooling.Cls) return;
        for (int t = 1; t < tokens; t++)
        {
            var row = hidden.Slice(t * c, c);
            if (pooling == Pooling.Max) TensorPrimitives.Max(vector, row, vector);
            else TensorPrimitives.Add(vector, row, vector);
        }
        if (pooling == Pooling.Mean) TensorPrimitives.Divide(vector, tokens, vector);
    }

    /// <summary>
    /// Scales <paramref name="vector"/> to unit length (sentence-transformers' Normalize: divides by max(‖v‖, 1e-12)) and returns
    /// that divisor, which a backward pass through the normalisation needs.
    /// </summary>
    public static float Normalize(Span<float> vector)
    {
        float divisor = MathF.Max(TensorPrimitives.Norm(vector), 1e-12f);
        TensorPrimitives.Divide(vector, divisor, vector);
        return divisor;
    }

    /// <summary>cos(a, b).</summary>
    public static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.CosineSimilarity(a, b);
}
