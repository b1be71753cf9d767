// L2 normalisation in place, so that dot products are cosine similarities.
namespace Quill.Search.Vectors;

/// <summary>Scales a vector to unit length; a zero vector stays zero (it matches nothing rather than everything).</summary>
public static class VectorNorm
{
    public static void Normalize(Span<float> vector)
    {
        float squared = VectorDot.Dot(vector, vector);
        if (squared <= 0 || !float.IsFinite(squared)) return;
        float scale = 1f / MathF.Sqrt(squared);
        for (int i = 0; i < vector.Length; i++) vector[i] *= scale;
    }
}
