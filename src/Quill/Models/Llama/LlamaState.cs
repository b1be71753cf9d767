// The forward pass of a Llama-family decoder for one sequence: scratch buffers and KV cache planned up front.
using Quill.Tensors;
using Quill.Tensors.Kernels;
using Quill.Tensors.Quantization;

namespace Quill.Models.Llama;

/// <summary>
/// Runs tokens through the model in chunks of up to <see cref="MaxBatch"/> (prompt processing is matrix-matrix),
/// keeping keys and values of every position in an F32 cache (L, ctx, Hkv·D). Nothing is allocated per token.
/// </summary>
public sealed unsafe class LlamaState : ChunkedInferenceState
{
    public const int MaxBatch = 256;
    private readonly LlamaModel _model;
    private readonly LlamaConfig _c;
    private readonly MatMul _matmul;
    private readonly CausalAttention _attention;
    private readonly Rope _rope;
    private readonly NativeBuffer<float> _x, _xb, _q, _k, _v, _att, _hb, _hb2, _cosSin; // (B, ·) scratch
    private readonly NativeBuffer<float> _keys, _values;                                   // (L, ctx, Hkv·D)
    private readonly QuantFormat _embeddingFormat;

    public LlamaState(LlamaModel model, int contextLength) : base(contextLength, MaxBatch, model.Config.VocabSize)
    {
        _model = model;
        _c = model.Config;
        _matmul = new MatMul(model.Pool);
        _attention = new CausalAttention(model.Pool, _c.Heads, _c.KvHeads, _c.HeadSize);
        _rope = new Rope(_c.RopeLayout, _c.HeadSize, _c.RopeDims, _c.RopeFreqBase, _c.RopeFreqScale);
        _x = new(BatchSize * (long)_c.Dim);
        _xb = new(BatchSize * (long)_c.Dim);
        _q = new(BatchSize * (long)_c.QueryDim);
        _k = new(BatchSize * (long)_c.KvDim);
        _v = new(BatchSize * (long)_c.KvDim);
        _att = new(BatchSize * (long)_c.QueryDim);
        _hb = new(BatchSize * (long)_c.FeedForwardDim);
        _hb2 = new(BatchSize * (long)_c.FeedForwardDim);
        _cosSin = new(BatchSize * (long)_c.RopeDims);
        _keys = new((long)_c.Layers * contextLength * _c.KvDim);
        _values = new((long)_c.Layers * contextLength * _c.KvDim);
        _embeddingFormat = QuantFormats.Get(model.Weights.TokenEmbedding.Type);
    }

    /// <summary>Runs T ≤ B tokens through every layer, leaving the final hidden states (T, C) in x.</summary>
    protected override void Forward(ReadOnlySpan<int> tokens)
    {
        int t = tokens.Length, start = Position;
        if (start + t > ContextLength)
            throw new InvalidOperationException($"the context is full: {start} + {t} tokens exceed the {ContextLength}-token KV cache");
        int dim = _c.Dim, kvDim = _c.KvDim, qDim = _c.QueryDim, ffn = _c.FeedForwardDim;
        var weights = _model.Weights;
        for (int i = 0; i < t; i++)
        {
            int id = tokens[i];
            if ((uint)id >= (uint)_c.VocabSize) throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {id} is outside the vocabulary of {_c.VocabSize}");
            _embeddingFormat.Dequantize(weights.TokenEmbedding.Row(id), _x.Slice((long)i * dim, dim));
            _rope.Angles(start + i, _cosSin.Slice((long)i * _c.RopeDims, _c.RopeDims));
        }

        long layerStride = (long)ContextLength * kvDim;
        for (int l = 0; l < _c.Layers; l++)
        {
            var w = weights.Layers[l];
            // attention: (T,C) -> q (T,H·D), k/v (T,Hkv·D)
            for (int i = 0; i < t; i++)
                RmsNorm.Forward(_x.Slice((long)i * dim, dim), w.AttentionNorm, _c.RmsEpsilon, _xb.Slice((long)i * dim, dim));
            _matmul.SetInput(_xb.Pointer, t, dim);
            _matmul.Multiply(w.Query, _q.Pointer);
            _matmul.Multiply(w.Key, _k.Pointer);
            _matmul.Multiply(w.Value, _v.Pointer);
            float* keys = _keys.Pointer + l * layerStride;
            float* values = _values.Pointer + l * layerStride;
            for (int i = 0; i < t; i++)
            {
                var q = _q.Slice((long)i * qDim, qDim);
                var k = _k.Slice((long)i * kvDim, kvDim);
                var v = _v.Slice((long)i * kvDim, kvDim);
                if (w.QueryBias is not null) System.Numerics.Tensors.TensorPrimitives.Add(q, w.QueryBias, q);
                if (w.KeyBias is not null) System.Numerics.Tensors.TensorPrimitives.Add(k, w.KeyBias, k);
                if (w.ValueBias is not null) System.Numerics.Tensors.TensorPrimitives.Add(v, w.ValueBias, v);
                var angles = _cosSin.Slice((long)i * _c.RopeDims, _c.RopeDims);
                _rope.Apply(q, angles);
                _rope.Apply(k, angles);
                long slot = (long)(start + i) * kvDim;
                k.CopyTo(new Span<float>(keys + slot, kvDim));
                v.CopyTo(new Span<float>(values + slot, kvDim));
            }
            _attention.Forward(_q.Pointer, keys, values, _att.Pointer, t, start, _c.SlidingWindow);
            _matmul.SetInput(_att.Pointer, t, qDim);
            _matmul.Multiply(w.Output, _xb.Pointer);
            System.Numerics.Tensors.TensorPrimitives.Add(_x.Slice(0, t * dim), _xb.Slice(0, t * dim), _x.Slice(0, t * dim));

            // feed-forward: (T,C) -> (T,F) -> (T,C)
            for (int i = 0; i < t; i++)
                RmsNorm.Forward(_x.Slice((long)i * dim, dim), w.FeedForwardNorm, _c.RmsEpsilon, _xb.Slice((long)i * dim, dim));
            _matmul.SetInput(_xb.Pointer, t, dim);
            _matmul.Multiply(w.Gate, _hb.Pointer);
            _matmul.Multiply(w.Up, _hb2.Pointer);
            SwiGlu.Forward(_hb.Slice(0, t * ffn), _hb2.Slice(0, t * ffn));
            _matmul.SetInput(_hb.Pointer, t, ffn);
            _matmul.Multiply(w.Down, _xb.Pointer);
            System.Numerics.Tensors.TensorPrimitives.Add(_x.Slice(0, t * dim), _xb.Slice(0, t * dim), _x.Slice(0, t * dim));
        }
        Position = start + t;
    }

    /// <summary>Final norm and output head for rows [first, first + count) of x, into logits (count, V).</summary>
    protected override void Logits(int first, int count, float* logits)
    {
        int dim = _c.Dim;
        for (int i = 0; i < count; i++)
            RmsNorm.Forward(_x.Slice((long)(first + i) * dim, dim), _model.Weights.OutputNorm, _c.RmsEpsilon, _xb.Slice((long)i * dim, dim));
        _matmul.SetInput(_xb.Pointer, count, dim);
        _matmul.Multiply(_model.Weights.Output, logits);
    }

    public override void Dispose()
    {
        foreach (var b in new[] { _x, _xb, _q, _k, _v, _att, _hb, _hb2, _cosSin, _keys, _values }) b.Dispose();
        _matmul.Dispose();
    }
}
