// The SwiGLU gate silu(gate)·up for training (forward as Quill.Tensors.Kernels.SwiGlu, plus backward); no projections.
using Quill.Tensors.Threading;
using Quill.Training.Kernels;

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

    /// <summary>Threads over element chunks; null runs on the calling thread.</summary>
    public ComputePool? Pool { get; set; }

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
        SwiGluRows.Forward(gate, up, _sigmoid.AsSpan(0, n), y[..n], Pool);
    }

    public void Backward(ReadOnlySpan<float> dy, Span<float> dgate, Span<float> dup)
    {
        int n = _length;
        SwiGluRows.Backward(_gate.AsSpan(0, n), _up.AsSpan(0, n), _sigmoid.AsSpan(0, n), dy[..n], dgate[..n], dup[..n], Pool);
    }
}
