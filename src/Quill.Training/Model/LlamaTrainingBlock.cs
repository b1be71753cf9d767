// One Llama transformer block for training: pre-norm attention and SwiGLU feed-forward with residuals, and its backward.
using System.Numerics.Tensors;
using Quill.Models.Llama;
using Quill.Training.Layers;

namespace Quill.Training.Model;

/// <summary>
/// x → x1 = x + Wo·attn(rope(Wq·n1), rope(Wk·n1), Wv·n1), n1 = norm(x) → y = x1 + Wdown·(silu(Wgate·n2)·(Wup·n2)), n2 = norm(x1).
/// Rows are (B, T) flattened; every layer keeps what its backward needs. Not threaded itself: the layers are.
/// </summary>
public sealed class LlamaTrainingBlock
{
    private readonly int _dim, _kvDim, _ffn;
    private float[] _n1 = [], _q = [], _k = [], _v = [], _qr = [], _kr = [], _att = [], _n2 = [], _g = [], _u = [], _h = [];
    private float[] _d1 = [], _d2 = [], _dQ = [], _dK = [], _dV = [], _dQr = [], _dKr = [], _dG = [], _dU = [], _dH = [], _dDim = [];
    private int _rows;

    public LlamaTrainingBlock(LlamaConfig config)
    {
        _dim = config.Dim;
        _kvDim = config.KvDim;
        _ffn = config.FeedForwardDim;
        AttentionNorm = new RmsNormLayer(_dim, config.RmsEpsilon);
        FeedForwardNorm = new RmsNormLayer(_dim, config.RmsEpsilon);
        Query = new Linear(_dim, config.QueryDim);
        Key = new Linear(_dim, _kvDim);
        Value = new Linear(_dim, _kvDim);
        Output = new Linear(config.QueryDim, _dim);
        Gate = new Linear(_dim, _ffn);
        Up = new Linear(_dim, _ffn);
        Down = new Linear(_ffn, _dim);
        RopeQuery = new RopeLayer(config.RopeLayout, config.HeadSize, config.RopeDims, config.RopeFreqBase, config.RopeFreqScale, config.ContextLength);
        RopeKey = new RopeLayer(config.RopeLayout, config.HeadSize, config.RopeDims, config.RopeFreqBase, config.RopeFreqScale, config.ContextLength);
        Attention = new SelfAttention(config.Heads, config.KvHeads, config.HeadSize);
    }

    public RmsNormLayer AttentionNorm { get; }
    public RmsNormLayer FeedForwardNorm { get; }
    public Linear Query { get; }
    public Linear Key { get; }
    public Linear Value { get; }
    public Linear Output { get; }
    public Linear Gate { get; }
    public Linear Up { get; }
    public Linear Down { get; }
    public RopeLayer RopeQuery { get; }
    public RopeLayer RopeKey { get; }
    public SelfAttention Attention { get; }
    public SwiGluLayer SwiGlu { get; } = new();

    /// <summary>The seven projections in llama.cpp's order: q, k, v, o, gate, up, down.</summary>
    public IEnumerable<(string Name, Linear Layer)> Projections()
    {
        yield return ("q", Query);
        yield return ("k", Key);
        yield return ("v", Value);
        yield return ("o", Output);
        yield return ("gate", Gate);
        yield return ("up", Up);
        yield return ("down", Down);
    }

    /// <summary>x (rows, C) → y (rows, C); positions (rows) and lengths (B) as <see cref="SelfAttention"/> wants them.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> positions, ReadOnlySpan<int> lengths)
    {
        int rows = positions.Length, qDim = Query.OutFeatures;
        _rows = rows;
        var n1 = LayerShape.Slice(ref _n1, rows * _dim);
        var q = LayerShape.Slice(ref _q, rows * qDim);
        var k = LayerShape.Slice(ref _k, rows * _kvDim);
        var v = LayerShape.Slice(ref _v, rows * _kvDim);
        var qr = LayerShape.Slice(ref _qr, rows * qDim);
        var kr = LayerShape.Slice(ref _kr, rows * _kvDim);
        var att = LayerShape.Slice(ref _att, rows * qDim);
        var n2 = LayerShape.Slice(ref _n2, rows * _dim);
        var g = LayerShape.Slice(ref _g, rows * _ffn);
        var u = LayerShape.Slice(ref _u, rows * _ffn);
        var h = LayerShape.Slice(ref _h, rows * _ffn);
        var o = LayerShape.Slice(ref _d1, rows * _dim);
        var yy = y[..(rows * _dim)];

        AttentionNorm.Forward(x, n1);
        Query.Forward(n1, q);
        Key.Forward(n1, k);
        Value.Forward(n1, v);
        RopeQuery.Forward(q, positions, qr);
        RopeKey.Forward(k, positions, kr);
        Attention.Forward(qr, kr, v, lengths, att);
        Output.Forward(att, o);
        TensorPrimitives.Add(x, o, yy);
        FeedForwardNorm.Forward(yy, n2);
        Gate.Forward(n2, g);
        Up.Forward(n2, u);
        SwiGlu.Forward(g, u, h);
        Down.Forward(h, o);
        TensorPrimitives.Add(yy, o, yy);
    }

    /// <summary>dy (rows, C) of the last Forward → dx (rows, C), overwritten; parameter gradients are added to.</summary>
    public void Backward(ReadOnlySpan<float> dy, Span<float> dx)
    {
        int rows = _rows, qDim = Query.OutFeatures;
        var dH = LayerShape.Slice(ref _dH, rows * _ffn);
        var dG = LayerShape.Slice(ref _dG, rows * _ffn);
        var dU = LayerShape.Slice(ref _dU, rows * _ffn);
        var dN = LayerShape.Slice(ref _d1, rows * _dim);
        var dPart = LayerShape.Slice(ref _dDim, rows * _dim);
        var dX1 = LayerShape.Slice(ref _d2, rows * _dim);

        // Feed-forward: dy flows to the residual and through down, SwiGLU, gate/up and the norm.
        Down.Backward(dy, dH);
        SwiGlu.Backward(dH, dG, dU);
        Gate.Backward(dG, dN);
        Up.Backward(dU, dPart);
        TensorPrimitives.Add(dN, dPart, dN);
        FeedForwardNorm.Backward(dN, dX1);
        TensorPrimitives.Add(dX1, dy[..dX1.Length], dX1);

        // Attention.
        var dAtt = LayerShape.Slice(ref _dQr, rows * qDim);
        Output.Backward(dX1, dAtt);
        var dQr = LayerShape.Slice(ref _dQ, rows * qDim);
        var dKr = LayerShape.Slice(ref _dKr, rows * _kvDim);
        var dV = LayerShape.Slice(ref _dV, rows * _kvDim);
        Attention.Backward(dAtt, dQr, dKr, dV);
        var dQ = dAtt; // dAtt is spent; reuse it for the unrotated query gradient.
        var dK = LayerShape.Slice(ref _dK, rows * _kvDim);
        RopeQuery.Backward(dQr, dQ);
        RopeKey.Backward(dKr, dK);
        Query.Backward(dQ, dN);
        Key.Backward(dK, dPart);
        TensorPrimitives.Add(dN, dPart, dN);
        Value.Backward(dV, dPart);
        TensorPrimitives.Add(dN, dPart, dN);
        var dxx = dx[..(rows * _dim)];
        AttentionNorm.Backward(dN, dxx);
        TensorPrimitives.Add(dxx, dX1, dxx);
    }
}
