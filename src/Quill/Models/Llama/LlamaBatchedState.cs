// Many sequences of a Llama-family decoder in one forward pass per step (continuous batching): slot positions and the
// checks on a step; not the layer loop (LlamaForward) and not the scheduler that fills the steps.
namespace Quill.Models.Llama;

/// <summary>
/// <see cref="IBatchedInferenceState"/> over a <see cref="Slots"/>-slot <see cref="LlamaForward"/>: every token of a
/// step, whichever sequence it belongs to, shares each matmul, so sixteen decoding sequences read the weights once per
/// step instead of sixteen times. A step that fails its checks changes nothing. Nothing is allocated per step.
/// </summary>
public sealed unsafe class LlamaBatchedState : IBatchedInferenceState
{
    private readonly LlamaForward _forward;
    private readonly int _vocabSize;
    private readonly int[] _positions;  // (slots) tokens held per slot
    private readonly int[] _lastStep;   // (slots) the step that last named the slot, to catch a slot named twice
    private readonly int[] _starts;     // (MaxStepTokens) each sequence's position before the step
    private int _step;

    public LlamaBatchedState(LlamaModel model, int slots, int contextLength)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(contextLength);
        _vocabSize = model.Config.VocabSize;
        _positions = new int[slots];
        _lastStep = new int[slots];
        int maxStepTokens = Math.Max(LlamaState.MaxBatch, slots);
        _starts = new int[maxStepTokens];
        _forward = new LlamaForward(model, slots, contextLength, maxStepTokens);
    }

    public int Slots => _positions.Length;
    public int ContextLength => _forward.ContextLength;
    public int MaxStepTokens => _forward.MaxStepTokens;

    public int Position(int slot)
    {
        CheckSlot(slot, nameof(slot));
        return _positions[slot];
    }

    public void Truncate(int slot, int length)
    {
        CheckSlot(slot, nameof(slot));
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _positions[slot] = Math.Min(_positions[slot], length);
    }

    public void Decode(ReadOnlySpan<BatchSequence> sequences, ReadOnlySpan<int> tokens, Span<float> logits)
    {
        if (sequences.IsEmpty) return;
        if (logits.Length < (long)sequences.Length * _vocabSize) throw LogitsTooSmall(logits.Length, sequences.Length);
        if (++_step == 0)
        {
            Array.Clear(_lastStep);
            _step = 1;
        }
        int total = 0;
        for (int i = 0; i < sequences.Length; i++)
        {
            var s = sequences[i];
            CheckSlot(s.Slot, nameof(sequences));
            if (s.Count <= 0) throw NoTokens(i, s);
            if (s.Offset < 0 || s.Offset > tokens.Length - s.Count) throw OutsideTokens(i, s, tokens.Length);
            if (_lastStep[s.Slot] == _step) throw SlotTwice(s.Slot);
            _lastStep[s.Slot] = _step;
            total += s.Count;
            if (total > MaxStepTokens) throw TooManyTokens(sequences);
            if (_positions[s.Slot] + s.Count > ContextLength) throw ContextFull(s.Slot, s.Count);
            _forward.CheckTokens(tokens.Slice(s.Offset, s.Count));
            _starts[i] = _positions[s.Slot];
        }
        _forward.Run(sequences, tokens, _starts);
        foreach (var s in sequences) _positions[s.Slot] += s.Count;
        fixed (float* output = logits) _forward.LastTokenLogits(output);
    }

    private void CheckSlot(int slot, string parameter)
    {
        if ((uint)slot >= (uint)_positions.Length) throw SlotOutOfRange(slot, parameter);
    }

    private ArgumentOutOfRangeException SlotOutOfRange(int slot, string parameter) =>
        new(parameter, $"slot {slot} is outside [0, {_positions.Length})");

    private ArgumentException LogitsTooSmall(int length, int sequences) =>
        new($"logits buffer holds {length} floats, {sequences} sequences × {_vocabSize} logits need {(long)sequences * _vocabSize}", "logits");

    private static ArgumentException NoTokens(int index, BatchSequence s) =>
        new($"sequence {index} (slot {s.Slot}) has {s.Count} tokens, at least 1 expected", "sequences");

    private static ArgumentException OutsideTokens(int index, BatchSequence s, int length) =>
        new($"sequence {index} (slot {s.Slot}) takes tokens [{s.Offset}, {(long)s.Offset + s.Count}), the step has {length}", "sequences");

    private static ArgumentException SlotTwice(int slot) =>
        new($"slot {slot} appears twice in one step, each slot at most once", "sequences");

    private ArgumentException TooManyTokens(ReadOnlySpan<BatchSequence> sequences)
    {
        long sum = 0;
        foreach (var s in sequences) sum += Math.Max(0, s.Count);
        return new($"the step has {sum} tokens, at most {MaxStepTokens} per step", "sequences");
    }

    private InvalidOperationException ContextFull(int slot, int count) =>
        new($"slot {slot} is full: {_positions[slot]} + {count} tokens exceed its {ContextLength}-token KV cache");

    public void Dispose() => _forward.Dispose();
}
