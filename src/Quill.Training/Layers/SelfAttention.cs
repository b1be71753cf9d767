// Scaled dot-product attention for training: causal (decoders) or bidirectional (encoders), grouped-query, right-padded batches; not the
// projections or RoPE.
using Quill.Tensors.Threading;
using Quill.Training.Kernels;

namespace Quill.Training.Layers;

/// <summary>
/// q (B, T, H, D), k and v (B, T, Hkv, D) → out (B, T, H, D); query head h reads KV head h / (H / Hkv).
/// Sequence b holds lengths[b] real tokens followed by padding: query t &lt; length attends to keys j ≤ t when
/// <see cref="Causal"/>, else to every key j &lt; length, never to padding; padded query rows give zero output and receive zero
/// gradient. Forward keeps q, k, v and the
/// attention probabilities (B, H, T, T); Backward gives dq, dk, dv.
/// </summary>
public sealed class SelfAttention
{
    private float[] _q = [], _k = [], _v = [], _probs = [];
    private int[] _lengths = [];
    private float[] _out = [], _dOut = [], _dq = [], _dk = [], _dv = [];
    private readonly HeadJob _job;
    private int _batch, _tokens;

    public SelfAttention(int heads, int kvHeads, int headSize, bool causal = true)
    {
        LayerShape.Require(kvHeads > 0 && heads % kvHeads == 0, nameof(SelfAttention), $"KV heads dividing {heads}", kvHeads);
        Heads = heads;
        KvHeads = kvHeads;
        HeadSize = headSize;
        Causal = causal;
        _job = new HeadJob(this);
    }

    public int Heads { get; }
    public int KvHeads { get; }
    public int HeadSize { get; }

    /// <summary>True: query t reads keys j ≤ t (a decoder); false: every key of its sequence (an encoder).</summary>
    public bool Causal { get; }

    /// <summary>Threads over (sequence, head) pairs; null runs on the calling thread.</summary>
    public ComputePool? Pool { get; set; }

    public void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, ReadOnlySpan<int> lengths, Span<float> output)
    {
        int batch = lengths.Length, h = Heads, d = HeadSize, hkv = KvHeads;
        int tokens = batch == 0 ? 0 : q.Length / (batch * h * d);
        LayerShape.Require(q.Length == batch * tokens * h * d && output.Length >= q.Length, nameof(SelfAttention),
            $"q and output of (B={batch}, T, {h}, {d})", q.Length);
        LayerShape.Require(k.Length == batch * tokens * hkv * d && v.Length == k.Length, nameof(SelfAttention),
            $"k and v of ({batch}, {tokens}, {hkv}, {d})", k.Length);
        _batch = batch;
        _tokens = tokens;
        Keep(ref _q, q);
        Keep(ref _k, k);
        Keep(ref _v, v);
        if (_lengths.Length < batch) _lengths = new int[batch];
        LayerShape.Ensure(ref _probs, batch * h * tokens * tokens);
        LayerShape.Ensure(ref _out, q.Length);
        for (int b = 0; b < batch; b++)
        {
            int length = lengths[b];
            LayerShape.Require((uint)length <= (uint)tokens, nameof(SelfAttention), $"a length of at most {tokens} for sequence {b}", length);
            _lengths[b] = length;
        }
        _job.Backward = false;
        Run(batch * h);
        _out.AsSpan(0, q.Length).CopyTo(output);
    }

    /// <summary>dOut (B, T, H, D) → dq (B, T, H, D), dk and dv (B, T, Hkv, D), all overwritten.</summary>
    public void Backward(ReadOnlySpan<float> dOut, Span<float> dq, Span<float> dk, Span<float> dv)
    {
        int qLength = _batch * _tokens * Heads * HeadSize, kvLength = _batch * _tokens * KvHeads * HeadSize;
        Keep(ref _dOut, dOut[..qLength]);
        LayerShape.Ensure(ref _dq, qLength);
        LayerShape.Ensure(ref _dk, kvLength);
        LayerShape.Ensure(ref _dv, kvLength);
        _job.Backward = true;
        Run(_batch * KvHeads);
        _dq.AsSpan(0, qLength).CopyTo(dq);
        _dk.AsSpan(0, kvLength).CopyTo(dk);
        _dv.AsSpan(0, kvLength).CopyTo(dv);
    }

    private void Run(int count)
    {
        if (Pool is null) _job.Execute(0, count);
        else Pool.Run(_job, count);
    }

    private AttentionHead.Shape Shape => new(_tokens, Heads, KvHeads, HeadSize, Causal);

    /// <summary>Output and probabilities of one (sequence, head) pair.</summary>
    private void ForwardHead(int b, int head) =>
        AttentionHead.Forward(Shape, b, head, _lengths[b], _q, _k, _v, _probs, _out);

    /// <summary>dk and dv of one (sequence, KV head) pair and dq of the query heads that read it, in head order.</summary>
    private void BackwardGroup(int b, int g)
    {
        int d = HeadSize, tokens = _tokens, group = Heads / KvHeads, length = _lengths[b];
        var dk = _dk.AsSpan();
        var dv = _dv.AsSpan();
        for (int t = 0; t < tokens; t++)
        {
            dk.Slice(KvOffset(b, t, g), d).Clear();
            dv.Slice(KvOffset(b, t, g), d).Clear();
        }
        var scratch = t_scratch;
        if (scratch is null || scratch.Length < length * length) t_scratch = scratch = new float[Math.Max(length * length, 1)];
        for (int head = g * group; head < (g + 1) * group; head++)
            AttentionHead.Backward(Shape, b, head, length, _q, _k, _v, _probs, _dOut, _dq, dk, dv, scratch);
    }

    [ThreadStatic] private static float[]? t_scratch;

    /// <summary>Forward over (b, head) pairs, backward over (b, KV head) pairs, so no two threads write one value.</summary>
    private sealed class HeadJob(SelfAttention owner) : IRangeJob
    {
        public bool Backward;

        public void Execute(int start, int end)
        {
            for (int i = start; i < end; i++)
            {
                if (Backward) owner.BackwardGroup(i / owner.KvHeads, i % owner.KvHeads);
                else owner.ForwardHead(i / owner.Heads, i % owner.Heads);
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
