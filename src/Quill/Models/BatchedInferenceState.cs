// The part of a batched decoder state every architecture shares: slot positions, the checks on a step, logits out;
// not a forward pass (each architecture's own, e.g. LlamaForward) and not the scheduler that fills the steps.
namespace Quill.Models;

/// <summary>
/// Keeps each slot's position and checks a step before anything runs (slots in range and each named once, token
/// ranges inside the step's list, counts within <see cref="MaxStepTokens"/> and each slot's capacity, ids inside
/// the vocabulary), so a step that fails changes nothing. Derived states own the KV cache and the forward pass.
/// Nothing is allocated per step.
/// </summary>
public abstract unsafe class BatchedInferenceState : IBatchedInferenceState
{
    private readonly int _vocabSize;
    private readonly int[] _positions;  // (slots) tokens held per slot
    private readonly int[] _lastStep;   // (slots) the step that last named the slot, to catch a slot named twice
    private readonly int[] _starts;     // (MaxStepTokens) each sequence's position before the step
    private int _step;

    protected BatchedInferenceState(int slots, int contextLength, int maxStepTokens, int vocabSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(contextLength);
        ContextLength = contextLength;
        MaxStepTokens = Math.Max(maxStepTokens, slots);
        _vocabSize = vocabSize;
        _positions = new int[slots];
        _lastStep = new int[slots];
        _starts = new int[MaxStepTokens];
    }

    public int Slots => _positions.Length;
    public int ContextLength { get; }

    /// <summary>Bytes the KV cache holds (keys and values of every layer), as its element type makes them; 0 when unknown.</summary>
    public virtual long KvCacheBytes => 0;
    public int MaxStepTokens { get; }

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
        if (++_step == int.MaxValue)
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
            for (int t = s.Offset; t < s.Offset + s.Count; t++)
                if ((uint)tokens[t] >= (uint)_vocabSize) throw TokenOutsideVocabulary(tokens[t], i);
            _starts[i] = _positions[s.Slot];
        }
        Forward(sequences, tokens, _starts.AsSpan(0, sequences.Length));
        foreach (var s in sequences) _positions[s.Slot] += s.Count;
        fixed (float* output = logits) LastTokenLogits(output);
    }

    /// <summary>
    /// Runs one checked step: sequence i's tokens (tokens[Offset..Offset+Count]) enter slot Slot at position
    /// <paramref name="starts"/>[i]. At most <see cref="MaxStepTokens"/> tokens, each slot once, all within capacity.
    /// </summary>
    protected abstract void Forward(ReadOnlySpan<BatchSequence> sequences, ReadOnlySpan<int> tokens, ReadOnlySpan<int> starts);

    /// <summary>Writes the logits of each sequence's last token of the last <see cref="Forward"/> into row i (S, V).</summary>
    protected abstract void LastTokenLogits(float* logits);

    public abstract void Dispose();

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

    private ArgumentOutOfRangeException TokenOutsideVocabulary(int id, int sequence) =>
        new("tokens", $"token id {id} (sequence {sequence}) is outside the vocabulary of {_vocabSize}");
}
