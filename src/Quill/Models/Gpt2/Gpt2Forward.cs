// The layer loop of GPT-2 over one step of one or more sequences, each in its own KV cache slot; positions are Gpt2State's and Gpt2BatchedState's.
using System.Numerics.Tensors;
using Quill.Tensors;
using Quill.Tensors.Kernels;
using Quill.Tensors.Quantization;

namespace Quill.Models.Gpt2;

/// <summary>
/// Scratch for up to maxStepTokens rows and a <see cref="StepKvCache"/> (L, slots, ctx, Hkv·D) in F16 or F32, allocated once.
/// The operations and their order are llama.cpp's GPT-2 graph: token + position embedding, then per block
/// x += attn(LayerNorm(x)), x += ffn(LayerNorm(x)) with GELU rounded through F16 as ggml-cpu does, then LayerNorm
/// and the output head. A step's rows (sequence after sequence) share each matmul; positions, the cache and
/// attention are per sequence, and every per-row operation sees only its row, so a sequence's results do not depend
/// on what shares its step. Nothing is allocated per step.
/// </summary>
internal sealed unsafe class Gpt2Forward : IDisposable
{
    private readonly Gpt2Model _model;
    private readonly Gpt2Config _c;
    private readonly MatMul _matmul;
    private readonly CausalAttention _attention;
    private readonly NativeBuffer<float> _x, _xb, _qkv, _q, _att, _hb, _position; // (T, ·) scratch
    private readonly StepKvCache _cache;
    private readonly QuantFormat _tokenFormat, _positionFormat;
    private readonly RowSteps _rows;

    public Gpt2Forward(Gpt2Model model, int slots, int contextLength, int maxStepTokens, KvCacheType kvCacheType)
    {
        _model = model;
        _c = model.Config;
        _matmul = new MatMul(model.Pool);
        _attention = new CausalAttention(model.Pool, _c.Heads, _c.KvHeads, _c.HeadSize);
        long rows = maxStepTokens;
        _x = new(rows * _c.Dim);
        _xb = new(rows * _c.Dim);
        _qkv = new(rows * _c.QkvDim);
        _q = new(rows * _c.Dim);
        _att = new(rows * _c.Dim);
        _hb = new(rows * _c.FeedForwardDim);
        _position = new(_c.Dim);
        _cache = new StepKvCache(_c.Layers, slots, contextLength, _c.KvDim, maxStepTokens, kvCacheType);
        _tokenFormat = QuantFormats.Get(model.Weights.TokenEmbedding.Type);
        _positionFormat = QuantFormats.Get(model.Weights.PositionEmbedding.Type);
        _rows = new RowSteps(this);
    }

    /// <summary>Throws when a token id is outside the vocabulary (before anything is written).</summary>
    public void CheckTokens(ReadOnlySpan<int> tokens)
    {
        foreach (int id in tokens)
            if ((uint)id >= (uint)_c.VocabSize) throw TokenOutsideVocabulary(id);
    }

    /// <summary>
    /// Runs one step: sequence i's tokens (tokens[Offset..Offset+Count]) enter slot Slot at position
    /// <paramref name="starts"/>[i], as rows laid out sequence after sequence. The caller has checked slots, counts and
    /// capacity; afterwards x holds the residual stream (T, C).
    /// </summary>
    public void Run(ReadOnlySpan<BatchSequence> sequences, ReadOnlySpan<int> tokens, ReadOnlySpan<int> starts)
    {
        int dim = _c.Dim, ffn = _c.FeedForwardDim;
        var weights = _model.Weights;
        var position = _position.Span;
        int t = _cache.Plan(sequences, starts);
        for (int i = 0; i < t; i++)
        {
            var x = _x.Slice((long)i * dim, dim);
            _tokenFormat.Dequantize(weights.TokenEmbedding.Row(tokens[_cache.TokenIndex(i)]), x);
            _positionFormat.Dequantize(weights.PositionEmbedding.Row(_cache.Position(i)), position);
            TensorPrimitives.Add(x, position, x);
        }

        for (int l = 0; l < _c.Layers; l++)
        {
            var w = weights.Layers[l];
            // attention: (T,C) -> qkv (T, C + 2·Hkv·D) -> (T,C)
            _rows.Run(RowSteps.Step.AttentionNorm, l, w, t);
            _matmul.SetInput(_xb.Pointer, t, dim);
            _matmul.Multiply(w.QueryKeyValue, _qkv.Pointer);
            _rows.Run(RowSteps.Step.BiasAndStore, l, w, t);
            _cache.Attend(_attention, l, _q.Pointer, _att.Pointer, 0);
            _matmul.SetInput(_att.Pointer, t, dim);
            _matmul.Multiply(w.AttentionOutput, _xb.Pointer);
            _rows.Run(RowSteps.Step.AttentionResidual, l, w, t);

            // feed-forward: (T,C) -> (T,F) -> (T,C)
            _rows.Run(RowSteps.Step.FeedForwardNorm, l, w, t);
            _matmul.SetInput(_xb.Pointer, t, dim);
            _matmul.Multiply(w.Up, _hb.Pointer);
            _rows.Run(RowSteps.Step.Gelu, l, w, t);
            _matmul.SetInput(_hb.Pointer, t, ffn);
            _matmul.Multiply(w.Down, _xb.Pointer);
            _rows.Run(RowSteps.Step.FeedForwardResidual, l, w, t);
        }
    }

    /// <summary>The final LayerNorm of row <paramref name="row"/> of the last step (GPT2Model's last_hidden_state).</summary>
    public void Hidden(int row, Span<float> hidden)
    {
        var w = _model.Weights;
        LayerNorm.Forward(_x.Slice((long)row * _c.Dim, _c.Dim), w.OutputNorm, w.OutputNormBias, _c.LayerNormEpsilon, hidden);
    }

    /// <summary>Final norm and output head for rows [first, first + count) of the last step, into logits (count, V).</summary>
    public void Logits(int first, int count, float* logits)
    {
        for (int i = 0; i < count; i++) Hidden(first + i, _xb.Slice((long)i * _c.Dim, _c.Dim));
        Head(count, logits);
    }

    /// <summary>Final norm and output head for the last row of each sequence of the last step, into logits (S, V).</summary>
    public void LastTokenLogits(float* logits)
    {
        for (int s = 0; s < _cache.SequenceCount; s++) Hidden(_cache.LastRow(s), _xb.Slice((long)s * _c.Dim, _c.Dim));
        Head(_cache.SequenceCount, logits);
    }

    private void Head(int rows, float* logits)
    {
        _matmul.SetInput(_xb.Pointer, rows, _c.Dim);
        _matmul.Multiply(_model.Weights.Output, logits);
    }

    private ArgumentOutOfRangeException TokenOutsideVocabulary(int id) =>
        new("tokens", $"token id {id} is outside the vocabulary of {_c.VocabSize}");

    /// <summary>
    /// The per-row steps between the matmuls (LayerNorms, biases and the cache store, GELU, residual adds), split across
    /// the pool by <see cref="RowStepJob{TStep, TWeights}"/>: each row is one thread's work with the serial loop's
    /// operations (all elementwise or within the row), so every result is the same bit for bit, whatever the split.
    /// </summary>
    private sealed class RowSteps(Gpt2Forward owner) : RowStepJob<RowSteps.Step, Gpt2LayerWeights>(owner._model.Pool)
    {
        public enum Step
        {
            AttentionNorm,
            BiasAndStore,
            AttentionResidual,
            FeedForwardNorm,
            Gelu,
            FeedForwardResidual,
        }

        protected override void Row(int i)
        {
            var w = Weights;
            var c = owner._c;
            int dim = c.Dim;
            var x = owner._x.Slice((long)i * dim, dim);
            var xb = owner._xb.Slice((long)i * dim, dim);
            switch (CurrentStep)
            {
                case Step.AttentionNorm:
                    LayerNorm.Forward(x, w.AttentionNorm, w.AttentionNormBias, c.LayerNormEpsilon, xb);
                    break;
                case Step.FeedForwardNorm:
                    LayerNorm.Forward(x, w.FeedForwardNorm, w.FeedForwardNormBias, c.LayerNormEpsilon, xb);
                    break;
                case Step.BiasAndStore:
                    var qkv = owner._qkv.Slice((long)i * c.QkvDim, c.QkvDim);
                    TensorPrimitives.Add(qkv, w.QueryKeyValueBias, qkv);
                    qkv[..dim].CopyTo(owner._q.Slice((long)i * dim, dim));
                    owner._cache.Store(Layer, i, qkv.Slice(dim, c.KvDim), qkv.Slice(dim + c.KvDim, c.KvDim));
                    break;
                case Step.Gelu:
                    var h = owner._hb.Slice((long)i * c.FeedForwardDim, c.FeedForwardDim);
                    TensorPrimitives.Add(h, w.UpBias, h);
                    GeluTanh.ForwardRounded(h);
                    break;
                default: // the residual adds: x += xb + bias
                    TensorPrimitives.Add(xb, CurrentStep == Step.AttentionResidual ? w.AttentionOutputBias : w.DownBias, xb);
                    TensorPrimitives.Add(x, xb, x);
                    break;
            }
        }
    }

    /// <summary>Bytes of the KV cache (keys and values of every layer and slot).</summary>
    public long KvCacheBytes => _cache.Bytes;

    public void Dispose()
    {
        foreach (var b in new[] { _x, _xb, _qkv, _q, _att, _hb, _position }) b.Dispose();
        _cache.Dispose();
        _matmul.Dispose();
    }
}
