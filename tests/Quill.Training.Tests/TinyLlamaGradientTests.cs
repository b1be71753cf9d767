// A one-block Llama composed from the training layers, its whole backward checked against finite differences; test-only.
using Quill.Tensors.Kernels;
using Quill.Training.Layers;
using static Quill.Training.Tests.FiniteDifference;

namespace Quill.Training.Tests;

public class TinyLlamaGradientTests
{
    private const int Vocab = 7, Dim = 8, Heads = 2, KvHeads = 1, HeadSize = 4, Hidden = 5, Batch = 2, Tokens = 4;
    private const int Rows = Batch * Tokens, KvDim = KvHeads * HeadSize;
    private const float Eps = 1e-5f;

    /// <summary>The attention weights' gradients are small here, so a wider step keeps float noise below the tolerance
    /// (at 1e-3, wq reaches ≈8e-3 relative error, falling ~1/step: noise, not truncation).</summary>
    private const float ModelStep = 1e-2f;

    private readonly Embedding _embedding = new(Vocab, Dim);
    private readonly RmsNormLayer _attentionNorm = new(Dim, Eps), _ffnNorm = new(Dim, Eps), _outputNorm = new(Dim, Eps);
    private readonly Linear _wq = new(Dim, Dim), _wk = new(Dim, KvDim), _wv = new(Dim, KvDim), _wo = new(Dim, Dim);
    private readonly Linear _gate = new(Dim, Hidden), _up = new(Dim, Hidden), _down = new(Hidden, Dim), _head = new(Dim, Vocab);
    private readonly RopeLayer _ropeQ = new(RopeLayout.Normal, HeadSize, HeadSize, 10000f, 1f, Tokens);
    private readonly RopeLayer _ropeK = new(RopeLayout.Normal, HeadSize, HeadSize, 10000f, 1f, Tokens);
    private readonly SelfAttention _attention = new(Heads, KvHeads, HeadSize);
    private readonly SwiGluLayer _swiGlu = new();
    private readonly CrossEntropy _loss = new(Vocab);

    private readonly int[] _tokens = [1, 4, 6, 2, 3, 0, 5, 5];
    private readonly int[] _targets = [4, 6, 2, CrossEntropy.IgnoreIndex, 0, 5, CrossEntropy.IgnoreIndex, CrossEntropy.IgnoreIndex];
    private readonly int[] _lengths = [4, 3];
    private readonly int[] _positions = [0, 1, 2, 3, 0, 1, 2, 3];

    // Activations, (rows, width).
    private readonly float[] _x0 = new float[Rows * Dim], _n1 = new float[Rows * Dim], _q = new float[Rows * Dim],
        _k = new float[Rows * KvDim], _v = new float[Rows * KvDim], _qr = new float[Rows * Dim], _kr = new float[Rows * KvDim],
        _att = new float[Rows * Dim], _o = new float[Rows * Dim], _x1 = new float[Rows * Dim], _n2 = new float[Rows * Dim],
        _g = new float[Rows * Hidden], _u = new float[Rows * Hidden], _h = new float[Rows * Hidden], _f = new float[Rows * Dim],
        _x2 = new float[Rows * Dim], _n3 = new float[Rows * Dim], _logits = new float[Rows * Vocab];

    public TinyLlamaGradientTests()
    {
        var rng = new Random(42);
        foreach (var w in Parameters()) RandomValues(rng, w.Value.Length, 0.7f).CopyTo(w.Value, 0);
    }

    private IEnumerable<KeyValuePair<string, float[]>> Parameters()
    {
        yield return new("embedding", _embedding.Weight);
        yield return new("attention_norm", _attentionNorm.Weight);
        yield return new("wq", _wq.Weight);
        yield return new("wk", _wk.Weight);
        yield return new("wv", _wv.Weight);
        yield return new("wo", _wo.Weight);
        yield return new("ffn_norm", _ffnNorm.Weight);
        yield return new("gate", _gate.Weight);
        yield return new("up", _up.Weight);
        yield return new("down", _down.Weight);
        yield return new("output_norm", _outputNorm.Weight);
        yield return new("head", _head.Weight);
    }

    private static float[] GradientOf(string name, TinyLlamaGradientTests m) => name switch
    {
        "embedding" => m._embedding.WeightGrad,
        "attention_norm" => m._attentionNorm.WeightGrad,
        "wq" => m._wq.WeightGrad,
        "wk" => m._wk.WeightGrad,
        "wv" => m._wv.WeightGrad,
        "wo" => m._wo.WeightGrad,
        "ffn_norm" => m._ffnNorm.WeightGrad,
        "gate" => m._gate.WeightGrad,
        "up" => m._up.WeightGrad,
        "down" => m._down.WeightGrad,
        "output_norm" => m._outputNorm.WeightGrad,
        _ => m._head.WeightGrad,
    };

    private float Forward()
    {
        _embedding.Forward(_tokens, _x0);
        _attentionNorm.Forward(_x0, _n1);
        _wq.Forward(_n1, _q);
        _wk.Forward(_n1, _k);
        _wv.Forward(_n1, _v);
        _ropeQ.Forward(_q, _positions, _qr);
        _ropeK.Forward(_k, _positions, _kr);
        _attention.Forward(_qr, _kr, _v, _lengths, _att);
        _wo.Forward(_att, _o);
        for (int i = 0; i < _x1.Length; i++) _x1[i] = _x0[i] + _o[i];
        _ffnNorm.Forward(_x1, _n2);
        _gate.Forward(_n2, _g);
        _up.Forward(_n2, _u);
        _swiGlu.Forward(_g, _u, _h);
        _down.Forward(_h, _f);
        for (int i = 0; i < _x2.Length; i++) _x2[i] = _x1[i] + _f[i];
        _outputNorm.Forward(_x2, _n3);
        _head.Forward(_n3, _logits);
        return _loss.Forward(_logits, _targets);
    }

    private void Backward()
    {
        var dLogits = new float[_logits.Length];
        _loss.Backward(dLogits);
        var dN3 = new float[_n3.Length];
        _head.Backward(dLogits, dN3);
        var dX2 = new float[_x2.Length];
        _outputNorm.Backward(dN3, dX2);
        var dH = new float[_h.Length];
        _down.Backward(dX2, dH); // df = dx2
        var dG = new float[_g.Length];
        var dU = new float[_u.Length];
        _swiGlu.Backward(dH, dG, dU);
        var dN2 = new float[_n2.Length];
        var dN2Up = new float[_n2.Length];
        _gate.Backward(dG, dN2);
        _up.Backward(dU, dN2Up);
        Add(dN2, dN2Up);
        var dX1 = new float[_x1.Length];
        _ffnNorm.Backward(dN2, dX1);
        Add(dX1, dX2); // residual
        var dAtt = new float[_att.Length];
        _wo.Backward(dX1, dAtt); // do = dx1
        var dQr = new float[_qr.Length];
        var dKr = new float[_kr.Length];
        var dV = new float[_v.Length];
        _attention.Backward(dAtt, dQr, dKr, dV);
        var dQ = new float[_q.Length];
        var dK = new float[_k.Length];
        _ropeQ.Backward(dQr, dQ);
        _ropeK.Backward(dKr, dK);
        var dN1 = new float[_n1.Length];
        var dN1Part = new float[_n1.Length];
        _wq.Backward(dQ, dN1);
        _wk.Backward(dK, dN1Part);
        Add(dN1, dN1Part);
        _wv.Backward(dV, dN1Part);
        Add(dN1, dN1Part);
        var dX0 = new float[_x0.Length];
        _attentionNorm.Backward(dN1, dX0);
        Add(dX0, dX1); // residual
        _embedding.Backward(dX0);
    }

    private static void Add(float[] into, float[] values)
    {
        for (int i = 0; i < into.Length; i++) into[i] += values[i];
    }

    /// <summary>The mean cross-entropy of the current logits in double, to keep finite differences above float noise.</summary>
    private double LossInDouble()
    {
        Forward();
        double total = 0;
        int counted = 0;
        for (int t = 0; t < Rows; t++)
        {
            if (_targets[t] == CrossEntropy.IgnoreIndex) continue;
            double max = double.NegativeInfinity, sum = 0;
            for (int c = 0; c < Vocab; c++) max = Math.Max(max, _logits[t * Vocab + c]);
            for (int c = 0; c < Vocab; c++) sum += Math.Exp(_logits[t * Vocab + c] - max);
            total += Math.Log(sum) + max - _logits[t * Vocab + _targets[t]];
            counted++;
        }
        return total / counted;
    }

    public static TheoryData<string> ParameterNames() =>
        ["embedding", "attention_norm", "wq", "wk", "wv", "wo", "ffn_norm", "gate", "up", "down", "output_norm", "head"];

    [Theory]
    [MemberData(nameof(ParameterNames))]
    public void ParameterGradientMatchesFiniteDifferences(string name)
    {
        float loss = Forward();
        Assert.Equal(LossInDouble(), loss, 1e-5);
        Backward();
        var weights = Parameters().Single(p => p.Key == name).Value;
        AssertGradient(name, weights, GradientOf(name, this), LossInDouble, ModelStep);
    }
}
