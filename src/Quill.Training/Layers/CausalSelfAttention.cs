// Scaled dot-product attention for training: causal, grouped-query, right-padded batches; not the projections or RoPE.
using System.Numerics.Tensors;

namespace Quill.Training.Layers;

/// <summary>
/// q (B, T, H, D), k and v (B, T, Hkv, D) → out (B, T, H, D); query head h reads KV head h / (H / Hkv).
/// Sequence b holds lengths[b] real tokens followed by padding: query t &lt; length attends to keys j ≤ t (causal, so
/// never to padding); padded query rows give zero output and receive zero gradient. Forward keeps q, k, v and the
/// attention probabilities (B, H, T, T); Backward gives dq, dk, dv.
/// </summary>
public sealed class CausalSelfAttention
{
    private float[] _q = [], _k = [], _v = [], _probs = [];
    private int[] _lengths = [];
    private float[] _scratch = [];
    private int _batch, _tokens;

    public CausalSelfAttention(int heads, int kvHeads, int headSize)
    {
        LayerShape.Require(kvHeads > 0 && heads % kvHeads == 0, nameof(CausalSelfAttention), $"KV heads dividing {heads}", kvHeads);
        Heads = heads;
        KvHeads = kvHeads;
        HeadSize = headSize;
    }

    public int Heads { get; }
    public int KvHeads { get; }
    public int HeadSize { get; }

    public void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, ReadOnlySpan<int> lengths, Span<float> output)
    {
        int batch = lengths.Length, h = Heads, d = HeadSize, hkv = KvHeads;
        int tokens = batch == 0 ? 0 : q.Length / (batch * h * d);
        LayerShape.Require(q.Length == batch * tokens * h * d && output.Length >= q.Length, nameof(CausalSelfAttention),
            $"q and output of (B={batch}, T, {h}, {d})", q.Length);
        LayerShape.Require(k.Length == batch * tokens * hkv * d && v.Length == k.Length, nameof(CausalSelfAttention),
            $"k and v of ({batch}, {tokens}, {hkv}, {d})", k.Length);
        _batch = batch;
        _tokens = tokens;
        Keep(ref _q, q);
        Keep(ref _k, k);
        Keep(ref _v, v);
        if (_lengths.Length < batch) _lengths = new int[batch];
        LayerShape.Ensure(ref _probs, batch * h * tokens * tokens);
        LayerShape.Ensure(ref _scratch, tokens);
        float scale = 1.0f / MathF.Sqrt(d);
        int group = h / hkv;
        output[..q.Length].Clear();
        for (int b = 0; b < batch; b++)
        {
            int length = lengths[b];
            LayerShape.Require((uint)length <= (uint)tokens, nameof(CausalSelfAttention), $"a length of at most {tokens} for sequence {b}", length);
            _lengths[b] = length;
            for (int head = 0; head < h; head++)
            {
                int g = head / group;
                for (int t = 0; t < tokens; t++)
                {
                    var p = _probs.AsSpan(((b * h + head) * tokens + t) * tokens, tokens);
                    p.Clear();
                    if (t >= length) continue;
                    var qt = q.Slice(QueryOffset(b, t, head), d);
                    var s = p[..(t + 1)];
                    for (int j = 0; j <= t; j++) s[j] = TensorPrimitives.Dot(qt, k.Slice(KvOffset(b, j, g), d)) * scale;
                    // TensorPrimitives.SoftMax does not subtract the maximum; large scores would overflow to NaN.
                    TensorPrimitives.Subtract(s, TensorPrimitives.Max(s), s);
                    TensorPrimitives.SoftMax(s, s);
                    var o = output.Slice(QueryOffset(b, t, head), d);
                    for (int j = 0; j <= t; j++) TensorPrimitives.MultiplyAdd(v.Slice(KvOffset(b, j, g), d), s[j], o, o);
                }
            }
        }
    }

    /// <summary>dOut (B, T, H, D) → dq (B, T, H, D), dk and dv (B, T, Hkv, D), all overwritten.</summary>
    public void Backward(ReadOnlySpan<float> dOut, Span<float> dq, Span<float> dk, Span<float> dv)
    {
        int h = Heads, d = HeadSize, tokens = _tokens;
        int group = h / KvHeads;
        float scale = 1.0f / MathF.Sqrt(d);
        dq[..(_batch * tokens * h * d)].Clear();
        dk[..(_batch * tokens * KvHeads * d)].Clear();
        dv[..(_batch * tokens * KvHeads * d)].Clear();
        var q = _q.AsSpan();
        var k = _k.AsSpan();
        var v = _v.AsSpan();
        for (int b = 0; b < _batch; b++)
        {
            for (int head = 0; head < h; head++)
            {
                int g = head / group;
                for (int t = 0; t < _lengths[b]; t++)
                {
                    var p = _probs.AsSpan(((b * h + head) * tokens + t) * tokens, t + 1);
                    var dp = _scratch.AsSpan(0, t + 1);
                    var dot = dOut.Slice(QueryOffset(b, t, head), d);
                    for (int j = 0; j <= t; j++)
                    {
                        dp[j] = TensorPrimitives.Dot(dot, v.Slice(KvOffset(b, j, g), d));
                        var dvj = dv.Slice(KvOffset(b, j, g), d);
                        TensorPrimitives.MultiplyAdd(dot, p[j], dvj, dvj);
                    }
                    // softmax backward: dS = P ⊙ (dP − Σ P·dP), then the scale of the scores.
                    float sum = TensorPrimitives.Dot(p, dp);
                    var qt = q.Slice(QueryOffset(b, t, head), d);
                    var dqt = dq.Slice(QueryOffset(b, t, head), d);
                    for (int j = 0; j <= t; j++)
                    {
                        float ds = p[j] * (dp[j] - sum) * scale;
                        if (ds == 0) continue;
                        TensorPrimitives.MultiplyAdd(k.Slice(KvOffset(b, j, g), d), ds, dqt, dqt);
                        var dkj = dk.Slice(KvOffset(b, j, g), d);
                        TensorPrimitives.MultiplyAdd(qt, ds, dkj, dkj);
                    }
                }
            }
        }
    }

    private int QueryOffset(int b, int t, int head) => ((b * _tokens + t) * Heads + head) * HeadSize;

    private int KvOffset(int b, int j, int kvHead) => ((b * _tokens + j) * KvHeads + kvHead) * HeadSize;

    private static void Keep(ref float[] buffer, ReadOnlySpan<float> values)
    {
        LayerShape.Ensure(ref buffer, values.Length);
        values.CopyTo(buffer);
    }
}
