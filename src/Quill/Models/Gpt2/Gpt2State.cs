// The forward pass of GPT-2 for one sequence: scratch buffers and KV cache planned up front.
using System.Numerics.Tensors;
using Quill.Tensors;
using Quill.Tensors.Kernels;
using Quill.Tensors.Quantization;

namespace Quill.Models.Gpt2;

/// <summary>
/// Runs tokens through the model in chunks of up to <see cref="MaxBatch"/>, keeping keys and values of every position in
/// an F32 cache (L, ctx, Hkv·D). The operations and their order are llama.cpp's GPT-2 graph: token + position
/// embedding, then per block x += attn(LayerNorm(x)), x += ffn(LayerNorm(x)) with GELU rounded through F16 as ggml-cpu
/// does, then LayerNorm and the output head. The capacity is capped at the model's learned positions. Nothing is
/// allocated per token.
/// </summary>
public sealed unsafe class Gpt2State : ChunkedInferenceState
{
    public const int MaxBatch = 256;
    private readonly Gpt2Model _model;
    private readonly Gpt2Config _c;
    private readonly MatMul _matmul;
    private readonly CausalAttention _attention;
    private readonly NativeBuffer<float> _x, _xb, _qkv, _q, _att, _hb, _position; // (B, ·) scratch
    private readonly NativeBuffer<float> _keys, _values;                           // (L, ctx, Hkv·D)
    private readonly QuantFormat _tokenFormat, _positionFormat;

    public Gpt2State(Gpt2Model model, int contextLength)
        : base(contextLength <= 0 ? contextLength : Math.Min(contextLength, model.Config.ContextLength), MaxBatch, model.Config.VocabSize)
    {
        _model = model;
        _c = model.Config;
        _matmul = new MatMul(model.Pool);
        _attention = new CausalAttention(model.Pool, _c.Heads, _c.KvHeads, _c.HeadSize);
        _x = new(BatchSize * (long)_c.Dim);
        _xb = new(BatchSize * (long)_c.Dim);
        _qkv = new(BatchSize * (long)_c.QkvDim);
        _q = new(BatchSize * (long)_c.Dim);
        _att = new(BatchSize * (long)_c.Dim);
        _hb = new(BatchSize * (long)_c.FeedForwardDim);
        _position = new(_c.Dim);
        _keys = new((long)_c.Layers * ContextLength * _c.KvDim);
        _values = new((long)_c.Layers * ContextLength * _c.KvDim);
        _tokenFormat = QuantFormats.Get(model.Weights.TokenEmbedding.Type);
        _positionFormat = QuantFormats.Get(model.Weights.PositionEmbedding.Type);
    }

    /// <summary>
    /// Appends tokens and writes the last hidden state of every one (after ln_f, before the output head) into
    /// <paramref name="hidden"/> (T, C): the features transformers' GPT2Model returns as last_hidden_state.
    /// </summary>
    public void AppendHidden(ReadOnlySpan<int> tokens, Span<float> hidden)
    {
        int dim = _c.Dim;
        if (hidden.Length < (long)tokens.Length * dim) throw new ArgumentException("hidden-state buffer is smaller than T × C");
        var w = _model.Weights;
        for (int i = 0; i < tokens.Length; i += BatchSize)
        {
            int n = Math.Min(BatchSize, tokens.Length - i);
            Forward(tokens.Slice(i, n));
            for (int r = 0; r < n; r++)
                LayerNorm.Forward(_x.Slice((long)r * dim, dim), w.OutputNorm, w.OutputNormBias, _c.LayerNormEpsilon, hidden.Slice((i + r) * dim, dim));
        }
    }

    /// <summary>Runs T ≤ B tokens through every layer, leaving the residual stream (T, C) in x.</summary>
    protected override void Forward(ReadOnlySpan<int> tokens)
    {
        int t = tokens.Length, start = Position;
        if (start + t > ContextLength)
            throw new InvalidOperationException($"the context is full: {start} + {t} tokens exceed the {ContextLength}-token KV cache (the model has {_c.ContextLength} learned positions)");
        int dim = _c.Dim, kvDim = _c.KvDim, qkvDim = _c.QkvDim, ffn = _c.FeedForwardDim;
        float eps = _c.LayerNormEpsilon;
        var weights = _model.Weights;
        var position = _position.Span;
        for (int i = 0; i < t; i++)
        {
            int id = tokens[i];
            if ((uint)id >= (uint)_c.VocabSize) throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {id} is outside the vocabulary of {_c.VocabSize}");
            var x = _x.Slice((long)i * dim, dim);
            _tokenFormat.Dequantize(weights.TokenEmbedding.Row(id), x);
            _positionFormat.Dequantize(weights.PositionEmbedding.Row(start + i), position);
            TensorPrimitives.Add(x, position, x);
        }

        long layerStride = (long)ContextLength * kvDim;
        var residual = _x.Slice(0, t * dim);
        var delta = _xb.Slice(0, t * dim);
        for (int l = 0; l < _c.Layers; l++)
        {
            var w = weights.Layers[l];
            // attention: (T,C) -> qkv (T, C + 2·Hkv·D) -> (T,C)
            for (int i = 0; i < t; i++)
                LayerNorm.Forward(_x.Slice((long)i * dim, dim), w.AttentionNorm, w.AttentionNormBias, eps, _xb.Slice((long)i * dim, dim));
            _matmul.SetInput(_xb.Pointer, t, dim);
            _matmul.Multiply(w.QueryKeyValue, _qkv.Pointer);
            float* keys = _keys.Pointer + l * layerStride;
            float* values = _values.Pointer + l * layerStride;
            for (int i = 0; i < t; i++)
            {
                var qkv = _qkv.Slice((long)i * qkvDim, qkvDim);
                TensorPrimitives.Add(qkv, w.QueryKeyValueBias, qkv);
                long slot = (long)(start + i) * kvDim;
                qkv[..dim].CopyTo(_q.Slice((long)i * dim, dim));
                qkv.Slice(dim, kvDim).CopyTo(new Span<float>(keys + slot, kvDim));
                qkv.Slice(dim + kvDim, kvDim).CopyTo(new Span<float>(values + slot, kvDim));
            }
            _attention.Forward(_q.Pointer, keys, values, _att.Pointer, t, start, 0);
            _matmul.SetInput(_att.Pointer, t, dim);
            _matmul.Multiply(w.AttentionOutput, _xb.Pointer);
            for (int i = 0; i < t; i++)
                TensorPrimitives.Add(_xb.Slice((long)i * dim, dim), w.AttentionOutputBias, _xb.Slice((long)i * dim, dim));
            TensorPrimitives.Add(residual, delta, residual);

            // feed-forward: (T,C) -> (T,F) -> (T,C)
            for (int i = 0; i < t; i++)
                LayerNorm.Forward(_x.Slice((long)i * dim, dim), w.FeedForwardNorm, w.FeedForwardNormBias, eps, _xb.Slice((long)i * dim, dim));
            _matmul.SetInput(_xb.Pointer, t, dim);
            _matmul.Multiply(w.Up, _hb.Pointer);
            for (int i = 0; i < t; i++)
            {
                var h = _hb.Slice((long)i * ffn, ffn);
                TensorPrimitives.Add(h, w.UpBias, h);
                Gelu.ForwardRounded(h);
            }
            _matmul.SetInput(_hb.Pointer, t, ffn);
            _matmul.Multiply(w.Down, _xb.Pointer);
            for (int i = 0; i < t; i++)
                TensorPrimitives.Add(_xb.Slice((long)i * dim, dim), w.DownBias, _xb.Slice((long)i * dim, dim));
            TensorPrimitives.Add(residual, delta, residual);
        }
        Position = start + t;
    }

    /// <summary>Final norm and output head for rows [first, first + count) of x, into logits (count, V).</summary>
    protected override void Logits(int first, int count, float* logits)
    {
        int dim = _c.Dim;
        var w = _model.Weights;
        for (int i = 0; i < count; i++)
            LayerNorm.Forward(_x.Slice((long)(first + i) * dim, dim), w.OutputNorm, w.OutputNormBias, _c.LayerNormEpsilon, _xb.Slice((long)i * dim, dim));
        _matmul.SetInput(_xb.Pointer, count, dim);
        _matmul.Multiply(w.Output, logits);
    }

    public override void Dispose()
    {
        foreach (var b in new[] { _x, _xb, _qkv, _q, _att, _hb, _position, _keys, _values }) b.Dispose();
        _matmul.Dispose();
    }
}
