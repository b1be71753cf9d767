// One BERT encoder block for training: post-norm bidirectional attention and GELU feed-forward with residuals, and its backward.
using System.Numerics.Tensors;
using Quill.Models.Bert;
using Quill.Tensors.Threading;
using Quill.Training.Layers;

namespace Quill.Training.Model;

/// <summary>
/// x → x1 = LN1(x + Wo·attn(Wq·x, Wk·x, Wv·x)) → y = LN2(x1 + Wdown·gelu(Wup·x1)), every projection with its bias, as
/// <c>BertModel</c> computes it. Rows are (B, T) flattened with right padding; attention reads only a sequence's own rows,
/// and padded rows get no gradient from the rows that matter. Every layer keeps what its backward needs.
/// </summary>
public sealed class BertTrainingBlock
{
    private readonly int _dim, _ffn;
    private float[] _q = [], _k = [], _v = [], _att = [], _sum = [], _x1 = [], _u = [], _h = [];
    private float[] _dSum = [], _dX1 = [], _dPart = [], _dH = [], _dQ = [], _dK = [], _dV = [];
    private int _rows;

    public BertTrainingBlock(BertConfig config)
    {
        _dim = config.Dim;
        _ffn = config.FeedForwardDim;
        Query = new Linear(_dim, _dim, bias: true);
        Key = new Linear(_dim, _dim, bias: true);
        Value = new Linear(_dim, _dim, bias: true);
        Output = new Linear(_dim, _dim, bias: true);
        AttentionNorm = new LayerNormLayer(_dim, config.LayerNormEpsilon);
        Up = new Linear(_dim, _ffn, bias: true);
        Down = new Linear(_ffn, _dim, bias: true);
        OutputNorm = new LayerNormLayer(_dim, config.LayerNormEpsilon);
        Attention = new SelfAttention(config.Heads, config.Heads, config.HeadSize, causal: false);
    }

    public Linear Query { get; }
    public Linear Key { get; }
    public Linear Value { get; }
    public Linear Output { get; }
    public LayerNormLayer AttentionNorm { get; }
    public Linear Up { get; }
    public Linear Down { get; }
    public LayerNormLayer OutputNorm { get; }
    public SelfAttention Attention { get; }
    public GeluLayer Gelu { get; } = new();

    /// <summary>The six projections under their GGUF names' stems: attn_q, attn_k, attn_v, attn_output, ffn_up, ffn_down.</summary>
    public IEnumerable<(string Name, Linear Layer)> Projections()
    {
        yield return ("attn_q", Query);
        yield return ("attn_k", Key);
        yield return ("attn_v", Value);
        yield return ("attn_output", Output);
        yield return ("ffn_up", Up);
        yield return ("ffn_down", Down);
    }

    /// <summary>The two norms under their GGUF names' stems.</summary>
    public IEnumerable<(string Name, LayerNormLayer Layer)> Norms()
    {
        yield return ("attn_output_norm", AttentionNorm);
        yield return ("layer_output_norm", OutputNorm);
    }

    /// <summary>Threads for the projections and attention; null runs them on the calling thread.</summary>
    public ComputePool? Pool
    {
        set
        {
            foreach (var (_, linear) in Projections()) linear.Pool = value;
            Attention.Pool = value;
        }
    }

    /// <summary>When set, Backward still gives dx but no parameter of the block gathers a gradient.</summary>
    public bool Frozen
    {
        set
        {
            foreach (var (_, linear) in Projections()) linear.Frozen = value;
            foreach (var (_, norm) in Norms()) norm.Frozen = value;
        }
    }

    /// <summary>x (B·T, C) → y (B·T, C); <paramref name="lengths"/> (B) real tokens per sequence.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> lengths)
    {
        int rows = x.Length / _dim;
        _rows = rows;
        var q = LayerShape.Slice(ref _q, rows * _dim);
        var k = LayerShape.Slice(ref _k, rows * _dim);
        var v = LayerShape.Slice(ref _v, rows * _dim);
        var att = LayerShape.Slice(ref _att, rows * _dim);
        var sum = LayerShape.Slice(ref _sum, rows * _dim);
        var x1 = LayerShape.Slice(ref _x1, rows * _dim);
        var u = LayerShape.Slice(ref _u, rows * _ffn);
        var h = LayerShape.Slice(ref _h, rows * _ffn);

        Query.Forward(x, q);
        Key.Forward(x, k);
        Value.Forward(x, v);
        Attention.Forward(q, k, v, lengths, att);
        Output.Forward(att, sum);
        TensorPrimitives.Add(sum, x, sum);
        AttentionNorm.Forward(sum, x1);
        Up.Forward(x1, u);
        Gelu.Forward(u, h);
        Down.Forward(h, sum);
        TensorPrimitives.Add(sum, x1, sum);
        OutputNorm.Forward(sum, y);
    }

    /// <summary>dy (B·T, C) of the last Forward → dx (B·T, C), overwritten; parameter gradients are added to unless frozen.</summary>
    public void Backward(ReadOnlySpan<float> dy, Span<float> dx)
    {
        int rows = _rows, n = rows * _dim;
        var dSum = LayerShape.Slice(ref _dSum, n);
        var dX1 = LayerShape.Slice(ref _dX1, n);
        var dPart = LayerShape.Slice(ref _dPart, n);
        var dH = LayerShape.Slice(ref _dH, rows * _ffn);

        // Feed-forward: through the output norm, then down, GELU and up, plus the residual around them.
        OutputNorm.Backward(dy, dSum);
        Down.Backward(dSum, dH);
        Gelu.Backward(dH, dH);
        Up.Backward(dH, dX1);
        TensorPrimitives.Add(dX1, dSum, dX1);

        // Attention: through the attention norm, the output projection, attention and q, k, v, plus the residual.
        AttentionNorm.Backward(dX1, dSum);
        var dAtt = dX1; // spent; reused for the attention output's gradient
        Output.Backward(dSum, dAtt);
        var dQ = LayerShape.Slice(ref _dQ, n);
        var dK = LayerShape.Slice(ref _dK, n);
        var dV = LayerShape.Slice(ref _dV, n);
        Attention.Backward(dAtt, dQ, dK, dV);
        var dxx = dx[..n];
        Query.Backward(dQ, dxx);
        Key.Backward(dK, dPart);
        TensorPrimitives.Add(dxx, dPart, dxx);
        Value.Backward(dV, dPart);
        TensorPrimitives.Add(dxx, dPart, dxx);
        TensorPrimitives.Add(dxx, dSum, dxx);
    }
}
