// The layer loop of a Llama-family decoder over one step of one or more sequences, each in its own KV cache slot;
// not the bookkeeping of positions and inputs (LlamaState for one sequence, LlamaBatchedState for many).
using System.Numerics.Tensors;
using Quill.Tensors;
using Quill.Tensors.Kernels;
using Quill.Tensors.Quantization;

namespace Quill.Models.Llama;

/// <summary>
/// Scratch for up to <see cref="MaxStepTokens"/> rows and a KV cache (L, slots, ctx, Hkv·D) in F32, allocated once.
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
    private readonly NativeBuffer<float> _keys, _values;                                   // (L, slots, ctx, Hkv·D)
    private readonly int[] _rowSlot, _rowPosition;                                         // (T)
    private readonly AttentionSequence[] _sequences;                                       // the last step's layout
    private int _sequenceCount;

    public LlamaForward(LlamaModel model, int slots, int contextLength, int maxStepTokens)
    {
        _model = model;
        _c = model.Config;
        Slots = slots;
        ContextLength = contextLength;
        MaxStepTokens = maxStepTokens;
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
        _keys = new((long)_c.Layers * slots * contextLength * _c.KvDim);
        _values = new((long)_c.Layers * slots * contextLength * _c.KvDim);
        _rowSlot = new int[maxStepTokens];
        _rowPosition = new int[maxStepTokens];
        _sequences = new AttentionSequence[maxStepTokens];
    }

    public int Slots { get; }
    public int ContextLength { get; }
    public int MaxStepTokens { get; }

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
        long slotFloats = (long)ContextLength * kvDim;
        var weights = _model.Weights;
        int t = 0;
        for (int s = 0; s < sequences.Length; s++)
        {
            var sequence = sequences[s];
            _sequences[s] = new AttentionSequence(t, sequence.Count, starts[s], sequence.Slot * slotFloats);
            for (int i = 0; i < sequence.Count; i++, t++)
            {
                _rowSlot[t] = sequence.Slot;
                _rowPosition[t] = starts[s] + i;
                _embeddingFormat.Dequantize(weights.TokenEmbedding.Row(tokens[sequence.Offset + i]), _x.Slice((long)t * dim, dim));
                _rope.Angles(starts[s] + i, _cosSin.Slice((long)t * ropeDims, ropeDims));
            }
        }
        _sequenceCount = sequences.Length;
        var layout = new ReadOnlySpan<AttentionSequence>(_sequences, 0, _sequenceCount);

        long layerFloats = Slots * slotFloats;
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
            float* keys = _keys.Pointer + l * layerFloats;
            float* values = _values.Pointer + l * layerFloats;
            for (int i = 0; i < t; i++)
            {
                var q = _q.Slice((long)i * qDim, qDim);
                var k = _k.Slice((long)i * kvDim, kvDim);
                var v = _v.Slice((long)i * kvDim, kvDim);
                if (w.QueryBias is not null) TensorPrimitives.Add(q, w.QueryBias, q);
                if (w.KeyBias is not null) TensorPrimitives.Add(k, w.KeyBias, k);
                if (w.ValueBias is not null) TensorPrimitives.Add(v, w.ValueBias, v);
                var angles = _cosSin.Slice((long)i * ropeDims, ropeDims);
                _rope.Apply(q, angles);
                _rope.Apply(k, angles);
                long cacheRow = _rowSlot[i] * slotFloats + (long)_rowPosition[i] * kvDim;
                k.CopyTo(new Span<float>(keys + cacheRow, kvDim));
                v.CopyTo(new Span<float>(values + cacheRow, kvDim));
            }
            _attention.Forward(_q.Pointer, keys, values, _att.Pointer, layout, _c.SlidingWindow);
            _matmul.SetInput(_att.Pointer, t, qDim);
            _matmul.Multiply(w.Output, _xb.Pointer);
            TensorPrimitives.Add(_x.Slice(0, t * dim), _xb.Slice(0, t * dim), _x.Slice(0, t * dim));

            // feed-forward: (T,C) -> (T,F) -> (T,C)
            for (int i = 0; i < t; i++)
                RmsNorm.Forward(_x.Slice((long)i * dim, dim), w.FeedForwardNorm, _c.RmsEpsilon, _xb.Slice((long)i * dim, dim));
            _matmul.SetInput(_xb.Pointer, t, dim);
            _matmul.Multiply(w.Gate, _hb.Pointer);
            _matmul.Multiply(w.Up, _hb2.Pointer);
            // per row, so the gate's chunking (and TensorPrimitives' short-span path) never depends on T
            for (int i = 0; i < t; i++)
                SwiGlu.Forward(_hb.Slice((long)i * ffn, ffn), _hb2.Slice((long)i * ffn, ffn));
            _matmul.SetInput(_hb.Pointer, t, ffn);
            _matmul.Multiply(w.Down, _xb.Pointer);
            TensorPrimitives.Add(_x.Slice(0, t * dim), _xb.Slice(0, t * dim), _x.Slice(0, t * dim));
        }
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
        for (int s = 0; s < _sequenceCount; s++) Normalize(_sequences[s].Row + _sequences[s].Count - 1, s);
        Head(_sequenceCount, logits);
    }

    private void Normalize(int row, int into) =>
        RmsNorm.Forward(_x.Slice((long)row * _c.Dim, _c.Dim), _model.Weights.OutputNorm, _c.RmsEpsilon, _xb.Slice((long)into * _c.Dim, _c.Dim));

    private void Head(int rows, float* logits)
    {
        _matmul.SetInput(_xb.Pointer, rows, _c.Dim);
        _matmul.Multiply(_model.Weights.Output, logits);
    }

    private ArgumentOutOfRangeException TokenOutsideVocabulary(int id) =>
        new("tokens", $"token id {id} is outside the vocabulary of {_c.VocabSize}");

    public void Dispose()
    {
        foreach (var b in new[] { _x, _xb, _q, _k, _v, _att, _hb, _hb2, _cosSin, _keys, _values }) b.Dispose();
        _matmul.Dispose();
    }
}
