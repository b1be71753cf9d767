// A low-rank update s·B·A beside a frozen Linear (LoRA, Hu et al. 2021): A (rank, In) random, B (Out, rank) zero.
using System.Numerics.Tensors;
using Quill.Tensors;

namespace Quill.Training.Layers;

/// <summary>
/// y += s·(x·Aᵀ)·Bᵀ with s = alpha / rank. B starts at zero, so a fresh adapter leaves the base model's output unchanged;
/// A starts uniform in ±1/√In (Kaiming-uniform as PEFT does). Backward adds to the A and B gradients and to dx.
/// </summary>
public sealed class LoraAdapter
{
    private float[] _hidden = [], _dHidden = [], _scaled = [], _dx = [];

    public LoraAdapter(int inFeatures, int outFeatures, int rank, float alpha)
    {
        LayerShape.Require(rank > 0, nameof(LoraAdapter), "a positive rank", rank);
        Rank = rank;
        Alpha = alpha;
        A = new Linear(inFeatures, rank);
        B = new Linear(rank, outFeatures);
    }

    public int Rank { get; }
    public float Alpha { get; }
    public float Scale => Alpha / Rank;

    /// <summary>Down projection, (rank, In).</summary>
    public Linear A { get; }

    /// <summary>Up projection, (Out, rank).</summary>
    public Linear B { get; }

    public void InitializeRandom(SplitMix64 rng)
    {
        float limit = 1f / MathF.Sqrt(A.InFeatures);
        var a = A.Weight;
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * limit;
        Array.Clear(B.Weight);
    }

    /// <summary>y (rows, Out) += s·B·A·x.</summary>
    public void AddForward(ReadOnlySpan<float> x, Span<float> y)
    {
        int rows = x.Length / A.InFeatures;
        LayerShape.Ensure(ref _hidden, rows * Rank);
        LayerShape.Ensure(ref _scaled, rows * B.OutFeatures);
        var hidden = _hidden.AsSpan(0, rows * Rank);
        var delta = _scaled.AsSpan(0, rows * B.OutFeatures);
        A.Forward(x, hidden);
        B.Forward(hidden, delta);
        TensorPrimitives.MultiplyAdd(delta, Scale, y[..delta.Length], y[..delta.Length]);
    }

    /// <summary>dx (rows, In) += the adapter's share for dy (rows, Out); adds to the A and B gradients.</summary>
    public void AddBackward(ReadOnlySpan<float> dy, Span<float> dx)
    {
        int rows = dy.Length / B.OutFeatures;
        LayerShape.Ensure(ref _scaled, rows * B.OutFeatures);
        LayerShape.Ensure(ref _dHidden, rows * Rank);
        var scaled = _scaled.AsSpan(0, rows * B.OutFeatures);
        TensorPrimitives.Multiply(dy[..scaled.Length], Scale, scaled);
        var dHidden = _dHidden.AsSpan(0, rows * Rank);
        B.Backward(scaled, dHidden);
        LayerShape.Ensure(ref _dx, rows * A.InFeatures);
        var dxPart = _dx.AsSpan(0, rows * A.InFeatures);
        A.Backward(dHidden, dxPart);
        TensorPrimitives.Add(dx[..dxPart.Length], dxPart, dx[..dxPart.Length]);
    }

    /// <summary>W (Out, In) += s·B·A, folding the adapter into a base weight.</summary>
    public void MergeInto(float[] weight) => Fold(weight, A.Weight, B.Weight, A.InFeatures, B.OutFeatures, Rank, Scale);

    /// <summary>
    /// W (Out, In) += <paramref name="scale"/>·B·A for A (rank, In) and B (Out, rank): each row of W gains
    /// Σ_r (scale·B[o, r])·A[r], rows in parallel (each row is one thread's, so the result does not depend on threads).
    /// </summary>
    public static void Fold(float[] weight, float[] a, float[] b, int inFeatures, int outFeatures, int rank, float scale)
    {
        LayerShape.Require(weight.Length == inFeatures * outFeatures, nameof(LoraAdapter), $"a weight of {outFeatures}×{inFeatures}", weight.Length);
        LayerShape.Require(a.Length == rank * inFeatures && b.Length == outFeatures * rank, nameof(LoraAdapter),
            $"A of {rank}×{inFeatures} and B of {outFeatures}×{rank}", a.Length);
        Parallel.For(0, outFeatures, o =>
        {
            var row = weight.AsSpan(o * inFeatures, inFeatures);
            for (int r = 0; r < rank; r++)
                TensorPrimitives.MultiplyAdd(a.AsSpan(r * inFeatures, inFeatures), scale * b[o * rank + r], row, row);
        });
    }
}
