// LayerNorm with a learned scale and bias for training (forward as Quill.Tensors.Kernels.LayerNorm, plus backward).
using System.Numerics.Tensors;
using Quill.Tensors.Kernels;

namespace Quill.Training.Layers;

/// <summary>
/// y = x̂·w + b per row of C, x̂ = (x − mean)·r, r = 1/√(var + eps) (biased variance). Backward, with g = dy⊙w:
/// dx = r·(g − mean(g) − x̂·mean(g⊙x̂)); dw += Σ_rows dy⊙x̂; db += Σ_rows dy. Forward is the inference kernel's own steps
/// (<see cref="LayerNorm.Normalize"/>, then scale and shift), so a trained encoder's hidden states are the ones <c>BertModel</c>
/// computes from the same weights.
/// </summary>
public sealed class LayerNormLayer
{
    private float[] _normalized = [], _rstd = [];
    private readonly float[] _scratch;
    private int _rows;

    public LayerNormLayer(int dim, float eps)
    {
        Dim = dim;
        Eps = eps;
        Weight = new float[dim];
        Weight.AsSpan().Fill(1f);
        Bias = new float[dim];
        WeightGrad = new float[dim];
        BiasGrad = new float[dim];
        _scratch = new float[dim];
    }

    public int Dim { get; }
    public float Eps { get; }
    public float[] Weight { get; }
    public float[] Bias { get; }
    public float[] WeightGrad { get; }
    public float[] BiasGrad { get; }

    /// <summary>When set, Backward still gives dx but leaves the weight and bias gradients alone.</summary>
    public bool Frozen { get; set; }

    /// <summary>x (rows, C) → y (rows, C); <paramref name="y"/> may be <paramref name="x"/>.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        int dim = Dim, rows = x.Length / dim;
        LayerShape.Require(x.Length == rows * dim && y.Length >= x.Length, nameof(LayerNormLayer), $"rows of {dim} in and out", x.Length);
        var normalized = LayerShape.Slice(ref _normalized, x.Length);
        LayerShape.Ensure(ref _rstd, rows);
        _rows = rows;
        for (int t = 0; t < rows; t++)
        {
            var xt = x.Slice(t * dim, dim);
            var nt = normalized.Slice(t * dim, dim);
            _rstd[t] = LayerNorm.Normalize(xt, Eps, nt);
            var yt = y.Slice(t * dim, dim);
            TensorPrimitives.Multiply(nt, Weight, yt);
            TensorPrimitives.Add(yt, Bias, yt);
        }
    }

    /// <summary>dy (rows, C) of the last Forward → dx (rows, C), overwritten; adds to the weight and bias gradients unless frozen.</summary>
    public void Backward(ReadOnlySpan<float> dy, Span<float> dx)
    {
        int dim = Dim, n = _rows * dim;
        LayerShape.Require(dy.Length >= n && dx.Length >= n, nameof(LayerNormLayer), $"gradients of {n}", Math.Min(dy.Length, dx.Length));
        var g = _scratch.AsSpan();
        for (int t = 0; t < _rows; t++)
        {
            var dyt = dy.Slice(t * dim, dim);
            var nt = _normalized.AsSpan(t * dim, dim);
            var dxt = dx.Slice(t * dim, dim);
            TensorPrimitives.Multiply(dyt, Weight, g);
            float meanG = TensorPrimitives.Sum(g) / dim, meanGx = TensorPrimitives.Dot(g, nt) / dim;
            // dx = r·(g − meanG − x̂·meanGx), in place of g's copy in dx.
            TensorPrimitives.Subtract(g, meanG, dxt);
            TensorPrimitives.MultiplyAdd(nt, -meanGx, dxt, dxt);
            TensorPrimitives.Multiply(dxt, _rstd[t], dxt);
            if (Frozen) continue;
            // Row order on this thread, so the sums are the same for any thread count elsewhere.
            TensorPrimitives.MultiplyAdd(dyt, nt, WeightGrad, WeightGrad);
            TensorPrimitives.Add(BiasGrad, dyt, BiasGrad);
        }
    }
}
