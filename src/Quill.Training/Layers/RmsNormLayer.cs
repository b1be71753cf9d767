// RMSNorm with a learned scale for training (forward as Quill.Tensors.Kernels.RmsNorm, plus backward); no bias.
using System.Numerics.Tensors;

namespace Quill.Training.Layers;

/// <summary>
/// y = x·r·w per row of C, r = 1/√(mean(x²) + eps). Backward: dxᵢ = r·dyᵢwᵢ − xᵢ·r³·Σⱼ dyⱼwⱼxⱼ / C; dwᵢ += Σ_rows dyᵢ·xᵢ·r.
/// </summary>
public sealed class RmsNormLayer
{
    private float[] _input = [];
    private float[] _rstd = [];
    private readonly float[] _scratch;
    private int _rows;

    public RmsNormLayer(int dim, float eps)
    {
        Dim = dim;
        Eps = eps;
        Weight = new float[dim];
        Weight.AsSpan().Fill(1f);
        WeightGrad = new float[dim];
        _scratch = new float[dim];
    }

    public int Dim { get; }
    public float Eps { get; }
    public float[] Weight { get; }
    public float[] WeightGrad { get; }

    /// <summary>x (rows, C) → y (rows, C).</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        int rows = x.Length / Dim;
        LayerShape.Require(x.Length == rows * Dim && y.Length >= x.Length, nameof(RmsNormLayer), $"rows of {Dim} in and out", x.Length);
        LayerShape.Ensure(ref _input, x.Length);
        LayerShape.Ensure(ref _rstd, rows);
        x.CopyTo(_input);
        _rows = rows;
        for (int t = 0; t < rows; t++)
        {
            var xt = x.Slice(t * Dim, Dim);
            var yt = y.Slice(t * Dim, Dim);
            float r = 1.0f / MathF.Sqrt(TensorPrimitives.SumOfSquares(xt) / Dim + Eps);
            _rstd[t] = r;
            TensorPrimitives.Multiply(xt, r, yt);
            TensorPrimitives.Multiply(yt, Weight, yt);
        }
    }

    /// <summary>dy (rows, C) → dx (rows, C); adds to <see cref="WeightGrad"/>.</summary>
    public void Backward(ReadOnlySpan<float> dy, Span<float> dx)
    {
        var tmp = _scratch.AsSpan();
        for (int t = 0; t < _rows; t++)
        {
            var xt = _input.AsSpan(t * Dim, Dim);
            var dyt = dy.Slice(t * Dim, Dim);
            var dxt = dx.Slice(t * Dim, Dim);
            float r = _rstd[t];
            TensorPrimitives.Multiply(dyt, Weight, tmp);
            float c = r * r * r * TensorPrimitives.Dot(tmp, xt) / Dim;
            TensorPrimitives.Multiply(tmp, r, dxt);
            TensorPrimitives.MultiplyAdd(xt, -c, dxt, dxt);
            TensorPrimitives.Multiply(xt, r, tmp);
            TensorPrimitives.MultiplyAdd(dyt, tmp, WeightGrad, WeightGrad);
        }
    }
}
