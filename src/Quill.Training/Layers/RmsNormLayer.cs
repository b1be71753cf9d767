// RMSNorm with a learned scale for training (forward as Quill.Tensors.Kernels.RmsNorm, plus backward); no bias.
using System.Numerics.Tensors;
using Quill.Tensors.Threading;
using Quill.Training.Kernels;

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

    /// <summary>Threads over rows; null runs on the calling thread.</summary>
    public ComputePool? Pool { get; set; }

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
        RmsNormRows.Forward(x, Weight, y, _rstd, Eps, Pool);
    }

    /// <summary>dy (rows, C) → dx (rows, C); adds to <see cref="WeightGrad"/>.</summary>
    public void Backward(ReadOnlySpan<float> dy, Span<float> dx)
    {
        int n = _rows * Dim;
        RmsNormRows.Backward(_input.AsSpan(0, n), Weight, _rstd, dy[..n], dx[..n], Pool);
        // dw sums over rows in row order on this thread, so it is the same for any thread count.
        var tmp = _scratch.AsSpan();
        for (int t = 0; t < _rows; t++)
        {
            TensorPrimitives.Multiply(_input.AsSpan(t * Dim, Dim), _rstd[t], tmp);
            TensorPrimitives.MultiplyAdd(dy.Slice(t * Dim, Dim), tmp, WeightGrad, WeightGrad);
        }
    }
}
