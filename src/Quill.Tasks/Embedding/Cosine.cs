// Cosine similarity of two embedding vectors.
using System.Numerics.Tensors;

namespace Quill.Tasks.Embedding;

/// <summary>Cosine similarity; 0 when either vector is all zeros.</summary>
internal static class Cosine
{
    public static double Of(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float na = TensorPrimitives.Norm(a), nb = TensorPrimitives.Norm(b);
        return na == 0 || nb == 0 ? 0 : TensorPrimitives.Dot(a, b) / ((double)na * nb);
    }
}
