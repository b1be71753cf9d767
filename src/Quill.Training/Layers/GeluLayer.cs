// GELU in its exact erf form for training (forward as the BERT encoder's matmul epilogue, plus backward).
using Quill.Tensors.Kernels;

namespace Quill.Training.Layers;

/// <summary>y = x·Φ(x) (<see cref="GeluErf"/>). Backward: dx = dy·(Φ(x) + x·φ(x)) (<see cref="GeluErf.Backward"/>).</summary>
public sealed class GeluLayer
{
    private float[] _input = [];
    private int _length;

    /// <summary>x → y of the same length; <paramref name="y"/> may be <paramref name="x"/>.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        int n = x.Length;
        LayerShape.Require(y.Length >= n, nameof(GeluLayer), $"output of {n}", y.Length);
        x.CopyTo(LayerShape.Slice(ref _input, n));
        _length = n;
        x.CopyTo(y);
        GeluErf.Forward(y[..n]);
    }

    /// <summary>dy of the last Forward → dx, overwritten.</summary>
    public void Backward(ReadOnlySpan<float> dy, Span<float> dx)
    {
        int n = _length;
        LayerShape.Require(dy.Length >= n && dx.Length >= n, nameof(GeluLayer), $"gradients of {n}", Math.Min(dy.Length, dx.Length));
        GeluErf.Backward(_input.AsSpan(0, n), dy[..n], dx[..n]);
    }
}
