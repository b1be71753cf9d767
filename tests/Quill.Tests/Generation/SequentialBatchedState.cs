// Test double: a batched state over any single-sequence model (one state per slot, run in turn), so ScriptedModel can serve the batcher.
using Quill.Models;

namespace Quill.Tests.Generation;

/// <summary>
/// Satisfies <see cref="IBatchedInferenceState"/> with one <see cref="IInferenceState"/> per slot, decoding the
/// sequences of a step one after another. Correct and batch-invariant, but each sequence reads the weights on its
/// own, so it gives no throughput gain over serving requests in turn; every real architecture has a batched forward pass.
/// </summary>
internal sealed class SequentialBatchedState : IBatchedInferenceState
{
    private readonly IInferenceState[] _states;
    private readonly int _vocabSize;

    public SequentialBatchedState(ICausalModel model, int slots, int contextLength)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots);
        _vocabSize = model.VocabSize;
        _states = new IInferenceState[slots];
        try
        {
            for (int i = 0; i < slots; i++) _states[i] = model.CreateState(contextLength);
        }
        catch
        {
            Dispose();
            throw;
        }
        ContextLength = _states[0].ContextLength;
        MaxStepTokens = Math.Max(1, contextLength) * slots;
    }

    public int Slots => _states.Length;
    public int ContextLength { get; }
    public int MaxStepTokens { get; }

    public int Position(int slot) => _states[slot].Position;

    public void Truncate(int slot, int length) => _states[slot].Truncate(length);

    public void Decode(ReadOnlySpan<BatchSequence> sequences, ReadOnlySpan<int> tokens, Span<float> logits)
    {
        if (logits.Length < (long)sequences.Length * _vocabSize)
            throw new ArgumentException($"logits buffer holds {logits.Length}, {sequences.Length} sequences need {(long)sequences.Length * _vocabSize}");
        for (int i = 0; i < sequences.Length; i++)
        {
            var s = sequences[i];
            if ((uint)s.Slot >= (uint)_states.Length)
                throw new ArgumentOutOfRangeException(nameof(sequences), $"slot {s.Slot} is outside [0, {_states.Length})");
            _states[s.Slot].Append(tokens.Slice(s.Offset, s.Count), logits.Slice(i * _vocabSize, _vocabSize));
        }
    }

    public void Dispose()
    {
        foreach (var state in _states) state?.Dispose();
    }
}
