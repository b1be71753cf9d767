// A fully connected F32 layer y = x·Wᵀ (+ b) for training, forward beside backward, on the blocked Sgemm.
using System.Numerics.Tensors;
using Quill.Tensors.Threading;
using Quill.Training.Kernels;
using Quill.Training.Model;

namespace Quill.Training.Layers;

/// <summary>
/// x (rows, In) → y (rows, Out) with W (Out, In) row-major, as checkpoints store it. Forward keeps a copy of x;
/// Backward gives dx and adds to <see cref="WeightGrad"/> and <see cref="BiasGrad"/>.
/// </summary>
public sealed class Linear
{
    private float[] _input = [];
    private ushort[] _input16 = [], _weight16 = [];
    private bool _keptBf16;
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

    /// <summary>Threads for the matmuls; null runs them on the calling thread.</summary>
    public ComputePool? Pool { get; set; }

    /// <summary>
    /// Bf16: the matmuls read W rounded to bf16 (refreshed from the F32 <see cref="Weight"/> each Forward) and x rounded
    /// to bf16, which is also what Forward keeps for Backward (half the memory); sums and gradients stay F32.
    /// </summary>
    public TrainingPrecision Precision { get; set; }

    /// <summary>x (rows, In) → y (rows, Out).</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        int rows = x.Length / InFeatures, inF = InFeatures, outF = OutFeatures;
        LayerShape.Require(x.Length == rows * inF, nameof(Linear), $"input a multiple of {inF}", x.Length);
        LayerShape.Require(y.Length >= rows * outF, nameof(Linear), $"output of {rows * outF}", y.Length);
        _rows = rows;
        _keptBf16 = Precision == TrainingPrecision.Bf16;
        if (_keptBf16)
        {
            if (_weight16.Length != Weight.Length) _weight16 = new ushort[Weight.Length];
            BFloat16.Round(Weight, _weight16);
            if (_input16.Length < x.Length) _input16 = new ushort[x.Length];
            BFloat16.Round(x, _input16);
            Sgemm.MultiplyTransposed(_input16.AsSpan(0, x.Length), _weight16, y, rows, outF, inF, Pool);
        }
        else
        {
            LayerShape.Ensure(ref _input, x.Length);
            x.CopyTo(_input);
            Sgemm.MultiplyTransposed(x, Weight, y, rows, outF, inF, Pool);
        }
        if (Bias is { } bias)
            for (int t = 0; t < rows; t++) TensorPrimitives.Add(y.Slice(t * outF, outF), bias, y.Slice(t * outF, outF));
        if (Lora is { } lora)
        {
            lora.A.Pool = lora.B.Pool = Pool;
            lora.AddForward(x, y);
        }
    }

    /// <summary>dy (rows, Out) → dx (rows, In) for the last Forward; dW += dyᵀ·x, db += Σ dy.</summary>
    public void Backward(ReadOnlySpan<float> dy, Span<float> dx)
    {
        int rows = _rows, inF = InFeatures, outF = OutFeatures;
        LayerShape.Require(dy.Length >= rows * outF, nameof(Linear), $"output gradient of {rows * outF}", dy.Length);
        LayerShape.Require(dx.Length >= rows * inF, nameof(Linear), $"input gradient of {rows * inF}", dx.Length);
        var g = dy[..(rows * outF)];
        if (_keptBf16) Sgemm.Multiply(g, _weight16, dx, rows, inF, outF, Pool);
        else Sgemm.Multiply(g, Weight, dx, rows, inF, outF, Pool);
        if (!Frozen)
        {
            if (_keptBf16) Sgemm.AddTransposedMultiply(g, _input16.AsSpan(0, rows * inF), WeightGrad, outF, inF, rows, Pool);
            else Sgemm.AddTransposedMultiply(g, _input.AsSpan(0, rows * inF), WeightGrad, outF, inF, rows, Pool);
            if (BiasGrad is { } db)
                for (int t = 0; t < rows; t++) TensorPrimitives.Add(db, g.Slice(t * outF, outF), db);
        }
        Lora?.AddBackward(g, dx);
    }
}
