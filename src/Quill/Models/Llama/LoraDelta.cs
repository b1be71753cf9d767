// The low-rank update y += s·B·(A·x) of one LoRA term for rows of activations, in F32; the file format is LoraAdapterGguf, the wiring LlamaLora.
using System.Numerics.Tensors;

namespace Quill.Models.Llama;

/// <summary>
/// For each row: h (rank) = A·x, then y += Σ_r (s·h_r)·Bᵀ[r], with Bᵀ (rank, Out) row-major so every step is one
/// contiguous multiply-add. Each row is computed alone in a fixed order, so results do not depend on how many rows
/// share a call (batch invariance).
/// </summary>
internal static class LoraDelta
{
    /// <summary>x (rows, In), a (rank, In), bT (rank, Out), y (rows, Out), hidden (≥ rank) scratch.</summary>
    public static void Add(ReadOnlySpan<float> x, ReadOnlySpan<float> a, ReadOnlySpan<float> bT, int rank, float scale, Span<float> y, Span<float> hidden)
    {
        int inF = a.Length / rank, outF = bT.Length / rank, rows = x.Length / inF;
        var h = hidden[..rank];
        for (int i = 0; i < rows; i++)
        {
            var xi = x.Slice(i * inF, inF);
            var yi = y.Slice(i * outF, outF);
            for (int r = 0; r < rank; r++) h[r] = scale * TensorPrimitives.Dot(a.Slice(r * inF, inF), xi);
            for (int r = 0; r < rank; r++) TensorPrimitives.MultiplyAdd(bT.Slice(r * outF, outF), h[r], yi, yi);
        }
    }

    /// <summary>Plain scalar twin of <see cref="Add"/>, in double.</summary>
    public static void AddReference(ReadOnlySpan<float> x, ReadOnlySpan<float> a, ReadOnlySpan<float> bT, int rank, float scale, Span<float> y)
    {
        int inF = a.Length / rank, outF = bT.Length / rank, rows = x.Length / inF;
        var h = new double[rank];
        for (int i = 0; i < rows; i++)
        {
            for (int r = 0; r < rank; r++)
            {
                double sum = 0;
                for (int k = 0; k < inF; k++) sum += (double)a[r * inF + k] * x[i * inF + k];
                h[r] = scale * sum;
            }
            for (int o = 0; o < outF; o++)
            {
                double sum = 0;
                for (int r = 0; r < rank; r++) sum += h[r] * bT[r * outF + o];
                y[i * outF + o] += (float)sum;
            }
        }
    }
}
