// The contract for decoding many sequences in one forward pass (continuous batching); the scheduler that fills it is ContinuousBatcher.
namespace Quill.Models;

/// <summary>
/// One sequence's part of a batched step: <see cref="Count"/> tokens, starting at <see cref="Offset"/> in the step's
/// token list, appended to KV cache slot <see cref="Slot"/> at that slot's position.
/// </summary>
public readonly record struct BatchSequence(int Slot, int Offset, int Count);

/// <summary>
/// A KV cache of <see cref="Slots"/> independent sequences that share one forward pass per step: the tokens of every
/// sequence in a step go through the matrix multiplications together (weights read once), and each sequence attends
/// only to its own slot. Sequences join and leave between steps (<see cref="Truncate"/> to 0 frees a slot).
/// The logits of a sequence do not depend on which other sequences share its step (batch invariance), so a request
/// decodes the same alone or alongside others. Not thread-safe: one scheduler thread drives it.
/// </summary>
public interface IBatchedInferenceState : IDisposable
{
    /// <summary>Number of KV cache slots (sequences that can be in flight at once).</summary>
    int Slots { get; }

    /// <summary>Capacity of each slot, in tokens.</summary>
    int ContextLength { get; }

    /// <summary>Bytes the KV cache of every slot holds (keys and values of every layer), as its element type makes them; 0 when unknown.</summary>
    long KvCacheBytes => 0;

    /// <summary>The most tokens (summed over sequences) one <see cref="Decode"/> call accepts.</summary>
    int MaxStepTokens { get; }

    /// <summary>Tokens already held in slot <paramref name="slot"/>.</summary>
    int Position(int slot);

    /// <summary>Forgets slot <paramref name="slot"/>'s positions at and after <paramref name="length"/>; 0 frees it.</summary>
    void Truncate(int slot, int length);

    /// <summary>
    /// Runs one step: appends each sequence's tokens (<paramref name="tokens"/>[Offset..Offset+Count]) to its slot and
    /// writes the logits of each sequence's last token into row i of <paramref name="logits"/> (sequences.Length, V).
    /// Each slot appears at most once; the counts sum to at most <see cref="MaxStepTokens"/>.
    /// </summary>
    void Decode(ReadOnlySpan<BatchSequence> sequences, ReadOnlySpan<int> tokens, Span<float> logits);
}
