// How a ContinuousBatcher is sized: slots, context per slot, queue bound, tokens per step; not the batcher.
namespace Quill.Serving;

/// <summary>Sizes of a <see cref="ContinuousBatcher"/>.</summary>
public sealed record BatcherOptions
{
    /// <summary>Sequences decoded together at most (KV cache slots); llama.cpp's --parallel.</summary>
    public int Slots { get; init; } = 4;

    /// <summary>Tokens each slot holds (prompt plus completion); 0 uses the model's training context.</summary>
    public int ContextLength { get; init; }

    /// <summary>Requests that may wait for a slot; one more is refused with <see cref="QueueFullException"/>.</summary>
    public int QueueCapacity { get; init; } = 64;

    /// <summary>Tokens one forward pass takes at most, summed over sequences (prompt chunks share it with decoding tokens).</summary>
    public int MaxStepTokens { get; init; } = 256;

    /// <summary>
    /// Keep each slot's KV cache after its request and reuse the longest common prompt prefix (llama.cpp's
    /// cache_prompt); a request may still turn it off for itself (<see cref="Generation.GenerationRequest.CachePrompt"/>).
    /// </summary>
    public bool CachePrompt { get; init; } = true;

    /// <summary>
    /// The least share of a prompt a slot's cached prefix must cover to attract the request (llama.cpp's -sps); a smaller
    /// match counts as none, and the least recently used free slot is taken.
    /// </summary>
    public float SlotSimilarity { get; init; } = 0.1f;
}
