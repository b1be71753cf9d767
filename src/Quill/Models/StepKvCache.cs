// The KV cache of a step-batched decoder (F16 or F32 elements) and the row layout of its last step.
using System.Runtime.InteropServices;
using Quill.Tensors;
using Quill.Tensors.Kernels;
using Quill.Tensors.Quantization;

namespace Quill.Models;

/// <summary>
/// Keys and values of every layer, slot and position, (L, slots, ctx, Hkv·D) in F16 (rounded to nearest even when stored)
/// or F32 as <see cref="Type"/> says, allocated once; and where each
/// row of a step comes from: a step's rows are its sequences' tokens laid out sequence after sequence, each row with
/// its slot, position and index into the step's token list. The attention layout (<see cref="Layout"/>) points each
/// sequence at its own slot. Nothing is allocated per step.
/// </summary>
internal sealed unsafe class StepKvCache : IDisposable
{
    private readonly NativeBuffer<byte> _keys, _values;
    private readonly int[] _rowSlot, _rowPosition, _rowToken; // (T)
    private readonly AttentionSequence[] _sequences;          // the last step's layout
    private readonly int _kvDim;
    private readonly int _elementBytes;
    private readonly long _slotElements, _layerElements;

    public StepKvCache(int layers, int slots, int contextLength, int kvDim, int maxStepTokens, KvCacheType type)
    {
        Slots = slots;
        ContextLength = contextLength;
        Type = type;
        _kvDim = kvDim;
        _elementBytes = type.ElementBytes();
        _slotElements = (long)contextLength * kvDim;
        _layerElements = slots * _slotElements;
        _keys = new(layers * _layerElements * _elementBytes);
        _values = new(layers * _layerElements * _elementBytes);
        _rowSlot = new int[maxStepTokens];
        _rowPosition = new int[maxStepTokens];
        _rowToken = new int[maxStepTokens];
        _sequences = new AttentionSequence[maxStepTokens];
    }

    public int Slots { get; }
    public int ContextLength { get; }
    public KvCacheType Type { get; }

    /// <summary>Bytes of keys and values together (L · slots · ctx · Hkv·D elements each).</summary>
    public long Bytes => _keys.Length + _values.Length;

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
            _sequences[s] = new AttentionSequence(t, sequence.Count, starts[s], sequence.Slot * _slotElements);
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

    /// <summary>
    /// Attention of the last step's query rows q (T, H·D) over layer <paramref name="layer"/>'s cache, each sequence over
    /// its own slot, into output (T, H·D).
    /// </summary>
    public void Attend(CausalAttention attention, int layer, float* q, float* output, int window)
    {
        long at = layer * _layerElements * _elementBytes;
        if (Type == KvCacheType.F16)
            attention.Forward(q, (Half*)(_keys.Pointer + at), (Half*)(_values.Pointer + at), output, Layout, window);
        else
            attention.Forward(q, (float*)(_keys.Pointer + at), (float*)(_values.Pointer + at), output, Layout, window);
    }

    /// <summary>Writes row <paramref name="row"/>'s key and value (Hkv·D each) at its slot and position in layer <paramref name="layer"/>.</summary>
    public void Store(int layer, int row, ReadOnlySpan<float> key, ReadOnlySpan<float> value)
    {
        long at = (layer * _layerElements + _rowSlot[row] * _slotElements + (long)_rowPosition[row] * _kvDim) * _elementBytes;
        var keyBytes = new Span<byte>(_keys.Pointer + at, _kvDim * _elementBytes);
        var valueBytes = new Span<byte>(_values.Pointer + at, _kvDim * _elementBytes);
        if (Type == KvCacheType.F16)
        {
            F16Row.Quantize(key, keyBytes);
            F16Row.Quantize(value, valueBytes);
        }
        else
        {
            key.CopyTo(MemoryMarshal.Cast<byte, float>(keyBytes));
            value.CopyTo(MemoryMarshal.Cast<byte, float>(valueBytes));
        }
    }

    public void Dispose()
    {
        _keys.Dispose();
        _values.Dispose();
    }
}
