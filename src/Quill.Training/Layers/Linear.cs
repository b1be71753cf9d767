// A fully connected F32 layer y = x·Wᵀ (+ b) for training, forward beside backward; not quantized, not threaded.
using System.Numerics.Tensors;

namespace Quill.Training.Layers;

/// <summary>
/// x (rows, In) → y (rows, Out) with W (Out, In) row-major, as checkpoints store it. Forward keeps a copy of x;
/// Backward gives dx and adds to <see cref="WeightGrad"/> and <see cref="BiasGrad"/>.
/// </summary>
public sealed class Linear
{
    private float[] _input = [];
    private int _rows;

    public Linear(int inFeatures, int outFeatures, bool bias = false)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = new float[outFeatures * inFeatures];
        WeightGrad = new float[Weight.Length];
        Bias = bias ? new float[outFeatures] : null;
        BiasGrad = bias ? new float[outFeatures] : null;
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public float[] Weight { get; }
    public float[] WeightGrad { get; }
    public float[]? Bias { get; }
    public float[]? BiasGrad { get; }

    /// <summary>When set, Backward still gives dx but leaves the weight and bias gradients alone (a frozen base).</summary>
    public bool Frozen { get; set; }

    /// <summary>An optional low-rank update applied on top of this layer in Forward and Backward.</summary>
    public LoraAdapter? Lora { get; set; }

    /// <summary>x (rows, In) → y (rows, Out).</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        int rows = x.Length / InFeatures;
        LayerShape.Require(x.Length == rows * InFeatures, nameof(Linear), $"input a multiple of {InFeatures}", x.Length);
        LayerShape.Require(y.Length >= rows * OutFeatures, nameof(Linear), $"output of {rows * OutFeatures}", y.Length);
        LayerShape.Ensure(ref _input, x.Length);
        x.CopyTo(_input);
        _rows = rows;
        var w = Weight.AsSpan();
        for (int t = 0; t < rows; t++)
        {
            var xt = x.Slice(t * InFeatures, InFeatures);
            for (int n = 0; n < OutFeatures; n++)
                y[t * OutFeatures + n] = TensorPrimitives.Dot(w.Slice(n * InFeatures, InFeatures), xt) + (Bias?[n] ?? 0f);
        }
        Lora?.AddForward(x, y);
    }

    /// <summary>dy (rows, Out) → dx (rows, In) for the last Forward; dW += dyᵀ·x, db += Σ dy.</summary>
    public void Backward(ReadOnlySpan<float> dy, Span<float> dx)
    {
        int rows = _rows;
        LayerShape.Require(dy.Length >= rows * OutFeatures, nameof(Linear), $"output gradient of {rows * OutFeatures}", dy.Length);
        LayerShape.Require(dx.Length >= rows * InFeatures, nameof(Linear), $"input gradient of {rows * InFeatures}", dx.Length);
        var w = Weight.AsSpan();
        var dw = WeightGrad.AsSpan();
        dx[..(rows * InFeatures)].Clear();
        for (int t = 0; t < rows; t++)
        {
            var xt = _input.AsSpan(t * InFeatures, InFeatures);
            var dxt = dx.Slice(t * InFeatures, InFeatures);
            for (int n = 0; n < OutFeatures; n++)
            {
                float g = dy[t * OutFeatures + n];
                if (g == 0) continue;
                TensorPrimitives.MultiplyAdd(w.Slice(n * InFeatures, InFeatures), g, dxt, dxt);
                if (Frozen) continue;
                var dwn = dw.Slice(n * InFeatures, InFeatures);
                TensorPrimitives.MultiplyAdd(xt, g, dwn, dwn);
                if (BiasGrad != null) BiasGrad[n] += g;
            }
        }
        Lora?.AddBackward(dy[..(rows * OutFeatures)], dx);
    }
}
