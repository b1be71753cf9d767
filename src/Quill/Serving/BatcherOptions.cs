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
}
