// The layer loop of a Llama-family decoder over one step of one or more sequences, each in its own KV cache slot;
// not the bookkeeping of positions and inputs (LlamaState for one sequence, LlamaBatchedState for many).
using System.Numerics.Tensors;
using Quill.Tensors;
using Quill.Tensors.Kernels;
using Quill.Tensors.Quantization;

namespace Quill.Models.Llama;

/// <summary>
/// Scratch for up to maxStepTokens rows and a <see cref="StepKvCache"/> (L, slots, ctx, Hkv·D) in F16 or F32, allocated once.
/// A step's rows (every token of every sequence, sequence after sequence) go through each matmul together, so the
/// weights are read once per step; RoPE and the cache use each row's own slot and position, attention runs per
/// sequence over its own slot. Every per-row operation sees only its row, and the matmul and attention kernels are
/// batch-invariant, so a sequence's results do not depend on what shares its step. Nothing is allocated per step.
/// </summary>
internal sealed unsafe class LlamaForward : IDisposable
{
    private readonly LlamaModel _model;
    private readonly LlamaConfig _c;
    private readonly MatMul _matmul;
    private readonly CausalAttention _attention;
    private readonly Rope _rope;
    private readonly QuantFormat _embeddingFormat;
    private readonly NativeBuffer<float> _x, _xb, _q, _k, _v, _att, _hb, _hb2, _cosSin; // (T, ·) scratch
    private readonly StepKvCache _cache;
    private readonly LlamaLora? _lora;
    private readonly float[] _loraHidden; // (rank) scratch of the LoRA path
    private readonly RowSteps _rows;

    public LlamaForward(LlamaModel model, int slots, int contextLength, int maxStepTokens, KvCacheType kvCacheType)
    {
        _model = model;
        _c = model.Config;
        _matmul = new MatMul(model.Pool);
        _attention = new CausalAttention(model.Pool, _c.Heads, _c.KvHeads, _c.HeadSize);
        _rope = new Rope(_c.RopeLayout, _c.HeadSize, _c.RopeDims, _c.RopeFreqBase, _c.RopeFreqScale);
        _embeddingFormat = QuantFormats.Get(model.Weights.TokenEmbedding.Type);
        long rows = maxStepTokens;
        _x = new(rows * _c.Dim);
        _xb = new(rows * _c.Dim);
        _q = new(rows * _c.QueryDim);
        _k = new(rows * _c.KvDim);
        _v = new(rows * _c.KvDim);
        _att = new(rows * _c.QueryDim);
        _hb = new(rows * _c.FeedForwardDim);
        _hb2 = new(rows * _c.FeedForwardDim);
        _cosSin = new(rows * _c.RopeDims);
        _cache = new StepKvCache(_c.Layers, slots, contextLength, _c.KvDim, maxStepTokens, kvCacheType);
        _lora = model.Lora;
        _loraHidden = new float[_lora?.MaxRank ?? 0];
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
    /// capacity; afterwards x holds the final hidden states (T, C) for <see cref="Logits"/> and <see cref="LastTokenLogits"/>.
    /// </summary>
    public void Run(ReadOnlySpan<BatchSequence> sequences, ReadOnlySpan<int> tokens, ReadOnlySpan<int> starts)
    {
        int dim = _c.Dim, kvDim = _c.KvDim, qDim = _c.QueryDim, ffn = _c.FeedForwardDim, ropeDims = _c.RopeDims;
        var weights = _model.Weights;
        int t = _cache.Plan(sequences, starts);
        for (int i = 0; i < t; i++)
        {
            _embeddingFormat.Dequantize(weights.TokenEmbedding.Row(tokens[_cache.TokenIndex(i)]), _x.Slice((long)i * dim, dim));
            _rope.Angles(_cache.Position(i), _cosSin.Slice((long)i * ropeDims, ropeDims));
        }

        for (int l = 0; l < _c.Layers; l++)
        {
            var w = weights.Layers[l];
            // attention: (T,C) -> q (T,H·D), k/v (T,Hkv·D)
            _rows.Run(RowSteps.Step.AttentionNorm, l, w, t);
            _matmul.SetInput(_xb.Pointer, t, dim);
            Observe(_xb, t, dim, w.Query, w.Key, w.Value);
            _matmul.Multiply(w.Query, _q.Pointer);
            _matmul.Multiply(w.Key, _k.Pointer);
            _matmul.Multiply(w.Value, _v.Pointer);
            AddLora(l, LoraProjection.Query, _xb, dim, _q, qDim, t);
            AddLora(l, LoraProjection.Key, _xb, dim, _k, kvDim, t);
            AddLora(l, LoraProjection.Value, _xb, dim, _v, kvDim, t);
            _rows.Run(RowSteps.Step.RotateAndStore, l, w, t);
            _cache.Attend(_attention, l, _q.Pointer, _att.Pointer, _c.SlidingWindow);
            _matmul.SetInput(_att.Pointer, t, qDim);
            Observe(_att, t, qDim, w.Output);
            _matmul.Multiply(w.Output, _xb.Pointer);
            AddLora(l, LoraProjection.Output, _att, qDim, _xb, dim, t);
            TensorPrimitives.Add(_x.Slice(0, t * dim), _xb.Slice(0, t * dim), _x.Slice(0, t * dim));

            // feed-forward: (T,C) -> (T,F) -> (T,C)
            _rows.Run(RowSteps.Step.FeedForwardNorm, l, w, t);
            _matmul.SetInput(_xb.Pointer, t, dim);
            Observe(_xb, t, dim, w.Gate, w.Up);
            _matmul.Multiply(w.Gate, _hb.Pointer);
            _matmul.Multiply(w.Up, _hb2.Pointer);
            AddLora(l, LoraProjection.Gate, _xb, dim, _hb, ffn, t);
            AddLora(l, LoraProjection.Up, _xb, dim, _hb2, ffn, t);
            // per row, so the gate's chunking (and TensorPrimitives' short-span path) never depends on T
            _rows.Run(RowSteps.Step.SwiGlu, l, w, t);
            _matmul.SetInput(_hb.Pointer, t, ffn);
            Observe(_hb, t, ffn, w.Down);
            _matmul.Multiply(w.Down, _xb.Pointer);
            AddLora(l, LoraProjection.Down, _hb, ffn, _xb, dim, t);
            TensorPrimitives.Add(_x.Slice(0, t * dim), _xb.Slice(0, t * dim), _x.Slice(0, t * dim));
        }
    }

    /// <summary>y (T, Out) += the LoRA terms of one projection for x (T, In); nothing when no adapter is loaded.</summary>
    private void AddLora(int layer, LoraProjection projection, NativeBuffer<float> x, int inFeatures, NativeBuffer<float> y, int outFeatures, int t)
    {
        _lora?.Add(layer, projection, x.Slice(0, t * inFeatures), y.Slice(0, t * outFeatures), _loraHidden);
    }

    /// <summary>Final norm and output head for rows [first, first + count) of the last step, into logits (count, V).</summary>
    public void Logits(int first, int count, float* logits)
    {
        for (int i = 0; i < count; i++) Normalize(first + i, i);
        Head(count, logits);
    }

    /// <summary>Final norm and output head for the last row of each sequence of the last step, into logits (S, V).</summary>
    public void LastTokenLogits(float* logits)
    {
        for (int s = 0; s < _cache.SequenceCount; s++) Normalize(_cache.LastRow(s), s);
        Head(_cache.SequenceCount, logits);
    }

    private void Normalize(int row, int into) =>
        RmsNorm.Forward(_x.Slice((long)row * _c.Dim, _c.Dim), _model.Weights.OutputNorm, _c.RmsEpsilon, _xb.Slice((long)into * _c.Dim, _c.Dim));

    private void Head(int rows, float* logits)
    {
        _matmul.SetInput(_xb.Pointer, rows, _c.Dim);
        Observe(_xb, rows, _c.Dim, _model.Weights.Output);
        _matmul.Multiply(_model.Weights.Output, logits);
    }

    /// <summary>Shows the observer (when the model has one) the input x (rows, columns) of each of these weights.</summary>
    private void Observe(NativeBuffer<float> x, int rows, int columns, params ReadOnlySpan<WeightMatrix> weights)
    {
        if (_model.InputObserver is not { } observer) return;
        ReadOnlySpan<float> input = x.Slice(0, rows * columns);
        foreach (WeightMatrix w in weights) observer.Observe(w.Name, input, rows, columns);
    }

    private ArgumentOutOfRangeException TokenOutsideVocabulary(int id) =>
        new("tokens", $"token id {id} is outside the vocabulary of {_c.VocabSize}");

    /// <summary>
    /// The per-row steps between the matmuls (norms, biases, RoPE and the cache store, SwiGLU), split across the pool by
    /// <see cref="RowStepJob{TStep, TWeights}"/>: each row is one thread's work with the serial loop's operations, so every
    /// result is the same bit for bit, whatever the split.
    /// </summary>
    private sealed class RowSteps(LlamaForward owner) : RowStepJob<RowSteps.Step, LlamaLayerWeights>(owner._model.Pool)
    {
        public enum Step
        {
            AttentionNorm,
            RotateAndStore,
            FeedForwardNorm,
            SwiGlu,
        }

        protected override void Row(int i)
        {
            var w = Weights;
            var c = owner._c;
            switch (CurrentStep)
            {
                case Step.AttentionNorm or Step.FeedForwardNorm:
                    RmsNorm.Forward(owner._x.Slice((long)i * c.Dim, c.Dim), CurrentStep == Step.AttentionNorm ? w.AttentionNorm : w.FeedForwardNorm,
                        c.RmsEpsilon, owner._xb.Slice((long)i * c.Dim, c.Dim));
                    break;
                case Step.SwiGlu:
                    SwiGlu.Forward(owner._hb.Slice((long)i * c.FeedForwardDim, c.FeedForwardDim),
                        owner._hb2.Slice((long)i * c.FeedForwardDim, c.FeedForwardDim));
                    break;
                default:
                    RotateAndStore(w, i);
                    break;
            }
        }

        private void RotateAndStore(LlamaLayerWeights w, int i)
        {
            var c = owner._c;
            var q = owner._q.Slice((long)i * c.QueryDim, c.QueryDim);
            var k = owner._k.Slice((long)i * c.KvDim, c.KvDim);
            var v = owner._v.Slice((long)i * c.KvDim, c.KvDim);
            if (w.QueryBias is not null) TensorPrimitives.Add(q, w.QueryBias, q);
            if (w.KeyBias is not null) TensorPrimitives.Add(k, w.KeyBias, k);
            if (w.ValueBias is not null) TensorPrimitives.Add(v, w.ValueBias, v);
            var angles = owner._cosSin.Slice((long)i * c.RopeDims, c.RopeDims);
            owner._rope.Apply(q, angles);
            owner._rope.Apply(k, angles);
            owner._cache.Store(Layer, i, k, v);
        }
    }

    /// <summary>Bytes of the KV cache (keys and values of every layer and slot).</summary>
    public long KvCacheBytes => _cache.Bytes;

    public void Dispose()
    {
        foreach (var b in new[] { _x, _xb, _q, _k, _v, _att, _hb, _hb2, _cosSin }) b.Dispose();
        _cache.Dispose();
        _matmul.Dispose();
    }
}
