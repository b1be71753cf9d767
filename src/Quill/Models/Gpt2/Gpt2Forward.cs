// The layer loop of GPT-2 over one step of one or more sequences, each in its own KV cache slot; not the bookkeeping
// of positions and inputs (Gpt2State for one sequence, Gpt2BatchedState for many).
using System.Numerics.Tensors;
using Quill.Tensors;
using Quill.Tensors.Kernels;
using Quill.Tensors.Quantization;

namespace Quill.Models.Gpt2;

/// <summary>
/// Scratch for up to <see cref="MaxStepTokens"/> rows and a KV cache (L, slots, ctx, Hkv·D) in F32, allocated once.
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
    private readonly NativeBuffer<float> _keys, _values;                           // (L, slots, ctx, Hkv·D)
    private readonly QuantFormat _tokenFormat, _positionFormat;
    private readonly int[] _rowSlot, _rowPosition;                                 // (T)
    private readonly AttentionSequence[] _sequences;                               // the last step's layout
    private int _sequenceCount;

    public Gpt2Forward(Gpt2Model model, int slots, int contextLength, int maxStepTokens)
    {
        _model = model;
        _c = model.Config;
        Slots = slots;
        ContextLength = contextLength;
        MaxStepTokens = maxStepTokens;
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
        _keys = new((long)_c.Layers * slots * contextLength * _c.KvDim);
        _values = new((long)_c.Layers * slots * contextLength * _c.KvDim);
        _tokenFormat = QuantFormats.Get(model.Weights.TokenEmbedding.Type);
        _positionFormat = QuantFormats.Get(model.Weights.PositionEmbedding.Type);
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
    /// capacity; afterwards x holds the residual stream (T, C).
    /// </summary>
    public void Run(ReadOnlySpan<BatchSequence> sequences, ReadOnlySpan<int> tokens, ReadOnlySpan<int> starts)
    {
        int dim = _c.Dim, kvDim = _c.KvDim, qkvDim = _c.QkvDim, ffn = _c.FeedForwardDim;
        float eps = _c.LayerNormEpsilon;
        long slotFloats = (long)ContextLength * kvDim;
        var weights = _model.Weights;
        var position = _position.Span;
        int t = 0;
        for (int s = 0; s < sequences.Length; s++)
        {
            var sequence = sequences[s];
            _sequences[s] = new AttentionSequence(t, sequence.Count, starts[s], sequence.Slot * slotFloats);
            for (int i = 0; i < sequence.Count; i++, t++)
            {
                _rowSlot[t] = sequence.Slot;
                _rowPosition[t] = starts[s] + i;
                var x = _x.Slice((long)t * dim, dim);
                _tokenFormat.Dequantize(weights.TokenEmbedding.Row(tokens[sequence.Offset + i]), x);
                _positionFormat.Dequantize(weights.PositionEmbedding.Row(starts[s] + i), position);
                TensorPrimitives.Add(x, position, x);
            }
        }
        _sequenceCount = sequences.Length;
        var layout = new ReadOnlySpan<AttentionSequence>(_sequences, 0, _sequenceCount);

        long layerFloats = Slots * slotFloats;
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
            float* keys = _keys.Pointer + l * layerFloats;
            float* values = _values.Pointer + l * layerFloats;
            for (int i = 0; i < t; i++)
            {
                var qkv = _qkv.Slice((long)i * qkvDim, qkvDim);
                TensorPrimitives.Add(qkv, w.QueryKeyValueBias, qkv);
                long cacheRow = _rowSlot[i] * slotFloats + (long)_rowPosition[i] * kvDim;
                qkv[..dim].CopyTo(_q.Slice((long)i * dim, dim));
                qkv.Slice(dim, kvDim).CopyTo(new Span<float>(keys + cacheRow, kvDim));
                qkv.Slice(dim + kvDim, kvDim).CopyTo(new Span<float>(values + cacheRow, kvDim));
            }
            _attention.Forward(_q.Pointer, keys, values, _att.Pointer, layout, 0);
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
        for (int s = 0; s < _sequenceCount; s++) Hidden(_sequences[s].Row + _sequences[s].Count - 1, _xb.Slice((long)s * _c.Dim, _c.Dim));
        Head(_sequenceCount, logits);
    }

    private void Head(int rows, float* logits)
    {
        _matmul.SetInput(_xb.Pointer, rows, _c.Dim);
        _matmul.Multiply(_model.Weights.Output, logits);
    }

    private ArgumentOutOfRangeException TokenOutsideVocabulary(int id) =>
        new("tokens", $"token id {id} is outside the vocabulary of {_c.VocabSize}");

    public void Dispose()
    {
        foreach (var b in new[] { _x, _xb, _qkv, _q, _att, _hb, _position, _keys, _values }) b.Dispose();
        _matmul.Dispose();
    }
}
