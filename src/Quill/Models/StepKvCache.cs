// The KV cache of a step-batched decoder and the row layout of its last step.
using Quill.Tensors;
using Quill.Tensors.Kernels;

namespace Quill.Models;

/// <summary>
/// Keys and values of every layer, slot and position, (L, slots, ctx, Hkv·D) in F32, allocated once; and where each
/// row of a step comes from: a step's rows are its sequences' tokens laid out sequence after sequence, each row with
/// its slot, position and index into the step's token list. The attention layout (<see cref="Layout"/>) points each
/// sequence at its own slot. Nothing is allocated per step.
/// </summary>
internal sealed unsafe class StepKvCache : IDisposable
{
    private readonly NativeBuffer<float> _keys, _values;
    private readonly int[] _rowSlot, _rowPosition, _rowToken; // (T)
    private readonly AttentionSequence[] _sequences;          // the last step's layout
    private readonly int _kvDim;
    private readonly long _slotFloats, _layerFloats;

    public StepKvCache(int layers, int slots, int contextLength, int kvDim, int maxStepTokens)
    {
        Slots = slots;
        ContextLength = contextLength;
        _kvDim = kvDim;
        _slotFloats = (long)contextLength * kvDim;
        _layerFloats = slots * _slotFloats;
        _keys = new(layers * _layerFloats);
        _values = new(layers * _layerFloats);
        _rowSlot = new int[maxStepTokens];
        _rowPosition = new int[maxStepTokens];
        _rowToken = new int[maxStepTokens];
        _sequences = new AttentionSequence[maxStepTokens];
    }

    public int Slots { get; }
    public int ContextLength { get; }

    /// <summary>Sequences in the last step.</summary>
    public int SequenceCount { get; private set; }

    /// <summary>The last step's sequences for <see cref="CausalAttention"/>: rows, positions and slot offsets.</summary>
    public ReadOnlySpan<AttentionSequence> Layout => new(_sequences, 0, SequenceCount);

    /// <summary>
    /// Lays out a step: sequence i's tokens (tokens[Offset..Offset+Count]) become rows at positions starts[i]...
    /// of slot Slot. Returns the number of rows. The caller has checked slots, counts and capacity.
    /// </summary>
    public int Plan(ReadOnlySpan<BatchSequence> sequences, ReadOnlySpan<int> starts)
    {
        int t = 0;
        for (int s = 0; s < sequences.Length; s++)
        {
            var sequence = sequences[s];
            _sequences[s] = new AttentionSequence(t, sequence.Count, starts[s], sequence.Slot * _slotFloats);
            for (int i = 0; i < sequence.Count; i++, t++)
            {
                _rowSlot[t] = sequence.Slot;
                _rowPosition[t] = starts[s] + i;
                _rowToken[t] = sequence.Offset + i;
            }
        }
        SequenceCount = sequences.Length;
        return t;
    }

    /// <summary>The position of row <paramref name="row"/> in its slot.</summary>
    public int Position(int row) => _rowPosition[row];

    /// <summary>Where row <paramref name="row"/>'s token is in the step's token list.</summary>
    public int TokenIndex(int row) => _rowToken[row];

    /// <summary>The last row of sequence <paramref name="sequence"/> of the last step (whose logits the sampler wants).</summary>
    public int LastRow(int sequence) => _sequences[sequence].Row + _sequences[sequence].Count - 1;

    /// <summary>Layer <paramref name="layer"/>'s keys, (slots, ctx, Hkv·D).</summary>
    public float* Keys(int layer) => _keys.Pointer + layer * _layerFloats;

    /// <summary>Layer <paramref name="layer"/>'s values, (slots, ctx, Hkv·D).</summary>
    public float* Values(int layer) => _values.Pointer + layer * _layerFloats;

    /// <summary>Writes row <paramref name="row"/>'s key and value (Hkv·D each) at its slot and position in layer <paramref name="layer"/>.</summary>
    public void Store(int layer, int row, ReadOnlySpan<float> key, ReadOnlySpan<float> value)
    {
        long at = _rowSlot[row] * _slotFloats + (long)_rowPosition[row] * _kvDim;
        key.CopyTo(new Span<float>(Keys(layer) + at, _kvDim));
        value.CopyTo(new Span<float>(Values(layer) + at, _kvDim));
    }

    public void Dispose()
    {
        _keys.Dispose();
        _values.Dispose();
    }
}
