// How much of a KV cache a new prompt may keep: the common token prefix, less the last prompt token; not the cache itself.
namespace Quill.Generation;

/// <summary>
/// The rule every prompt cache follows (PromptCache for one sequence, ContinuousBatcher's slots): keep the positions
/// whose token ids equal the new prompt's from the start, but always compute the last prompt token again, because
/// its logits are what the first sample needs and a cache keeps keys and values, not logits.
/// </summary>
public static class PromptPrefix
{
    /// <summary>
    /// How many leading positions of a cache holding <paramref name="held"/> serve <paramref name="prompt"/>:
    /// their common prefix, at most prompt.Length - 1.
    /// </summary>
    public static int Reusable(ReadOnlySpan<int> held, ReadOnlySpan<int> prompt) =>
        Math.Max(0, Math.Min(held.CommonPrefixLength(prompt), prompt.Length - 1));
}
