// The SwiGLU gate silu(gate)·up for training (forward as Quill.Tensors.Kernels.SwiGlu, plus backward); no projections.
using System.Numerics.Tensors;

namespace Quill.Training.Layers;

/// <summary>
/// y = silu(g)·u, silu(g) = g·σ(g). Backward: du = dy·silu(g); dg = dy·u·σ(g)·(1 + g·(1 − σ(g))).
/// </summary>
public sealed class SwiGluLayer
{
    private float[] _gate = [];
    private float[] _up = [];
    private float[] _sigmoid = [];
    private int _length;

    /// <summary>gate, up, y all of the same length (rows·F).</summary>
    public void Forward(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> y)
    {
        int n = gate.Length;
        LayerShape.Require(up.Length == n && y.Length >= n, nameof(SwiGluLayer), $"up and output of {n}", up.Length);
        LayerShape.Ensure(ref _gate, n);
        LayerShape.Ensure(ref _up, n);
        LayerShape.Ensure(ref _sigmoid, n);
        gate.CopyTo(_gate);
        up.CopyTo(_up);
        _length = n;
        var s = _sigmoid.AsSpan(0, n);
        TensorPrimitives.Sigmoid(gate, s);
        TensorPrimitives.Multiply(gate, s, y[..n]);
        TensorPrimitives.Multiply(y[..n], up, y[..n]);
    }

    public void Backward(ReadOnlySpan<float> dy, Span<float> dgate, Span<float> dup)
    {
        for (int i = 0; i < _length; i++)
        {
            float g = _gate[i], s = _sigmoid[i], silu = g * s;
            dup[i] = dy[i] * silu;
            dgate[i] = dy[i] * _up[i] * s * (1f + g * (1f - s));
        }
    }
}
