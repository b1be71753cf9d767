// The forward pass of a Llama-family decoder for one sequence: scratch buffers and KV cache planned up front.
using Quill.Tensors;
using Quill.Tensors.Kernels;
using Quill.Tensors.Quantization;

namespace Quill.Models.Llama;

/// <summary>
/// Runs tokens through the model in chunks of up to <see cref="MaxBatch"/> (prompt processing is matrix-matrix),
/// keeping keys and values of every position in an F32 cache (L, ctx, Hkv·D). Nothing is allocated per token.
/// </summary>
public sealed unsafe class LlamaState : IInferenceState
{
    public const int MaxBatch = 256;
    private readonly LlamaModel _model;
    private readonly LlamaConfig _c;
    private readonly int _batch;
    private readonly MatMul _matmul;
    private readonly CausalAttention _attention;
    private readonly Rope _rope;
    private readonly NativeBuffer<float> _x, _xb, _q, _k, _v, _att, _hb, _hb2, _cosSin; // (B, ·) scratch
    private readonly NativeBuffer<float> _keys, _values;                                   // (L, ctx, Hkv·D)
    private readonly QuantFormat _embeddingFormat;

    public LlamaState(LlamaModel model, int contextLength)
    {
        _model = model;
        _c = model.Config;
        if (contextLength <= 0) throw new ArgumentOutOfRangeException(nameof(contextLength), "context length must be positive");
        ContextLength = contextLength;
        _batch = Math.Min(MaxBatch, contextLength);
        _matmul = new MatMul(model.Pool);
        _attention = new CausalAttention(model.Pool, _c.Heads, _c.KvHeads, _c.HeadSize);
        _rope = new Rope(_c.RopeLayout, _c.HeadSize, _c.RopeDims, _c.RopeFreqBase, _c.RopeFreqScale);
        _x = new(_batch * (long)_c.Dim);
        _xb = new(_batch * (long)_c.Dim);
        _q = new(_batch * (long)_c.QueryDim);
        _k = new(_batch * (long)_c.KvDim);
        _v = new(_batch * (long)_c.KvDim);
        _att = new(_batch * (long)_c.QueryDim);
        _hb = new(_batch * (long)_c.FeedForwardDim);
        _hb2 = new(_batch * (long)_c.FeedForwardDim);
        _cosSin = new(_batch * (long)_c.RopeDims);
        _keys = new((long)_c.Layers * contextLength * _c.KvDim);
        _values = new((long)_c.Layers * contextLength * _c.KvDim);
        _embeddingFormat = QuantFormats.Get(model.Weights.TokenEmbedding.Type);
    }

    public int Position { get; private set; }
    public int ContextLength { get; }

    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Position = Math.Min(Position, length);
    }

    public void Append(ReadOnlySpan<int> tokens, Span<float> lastLogits)
    {
        if (lastLogits.Length < _c.VocabSize) throw new ArgumentException($"logits buffer holds {lastLogits.Length}, the vocabulary has {_c.VocabSize}");
        for (int i = 0; i < tokens.Length; i += _batch)
        {
            int n = Math.Min(_batch, tokens.Length - i);
            Forward(tokens.Slice(i, n));
            if (i + n == tokens.Length)
                fixed (float* logits = lastLogits) Logits(n - 1, 1, logits);
        }
    }

    public void AppendAll(ReadOnlySpan<int> tokens, Span<float> allLogits)
    {
        if (allLogits.Length < (long)tokens.Length * _c.VocabSize) throw new ArgumentException("logits buffer is smaller than T × V");
        for (int i = 0; i < tokens.Length; i += _batch)
        {
            int n = Math.Min(_batch, tokens.Length - i);
            Forward(tokens.Slice(i, n));
            fixed (float* logits = allLogits) Logits(0, n, logits + (long)i * _c.VocabSize);
        }
    }

    /// <summary>Runs T ≤ B tokens through every layer, leaving the final hidden states (T, C) in x.</summary>
    private void Forward(ReadOnlySpan<int> tokens)
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
    private void Logits(int first, int count, float* logits)
    {
        int dim = _c.Dim;
        for (int i = 0; i < count; i++)
            RmsNorm.Forward(_x.Slice((long)(first + i) * dim, dim), _model.Weights.OutputNorm, _c.RmsEpsilon, _xb.Slice((long)i * dim, dim));
        _matmul.SetInput(_xb.Pointer, count, dim);
        _matmul.Multiply(_model.Weights.Output, logits);
    }

    public void Dispose()
    {
        foreach (var b in new[] { _x, _xb, _q, _k, _v, _att, _hb, _hb2, _cosSin, _keys, _values }) b.Dispose();
        _matmul.Dispose();
    }
}
