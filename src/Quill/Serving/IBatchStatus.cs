// What a scheduler reports about its load (the server's /metrics and /health read it); not the scheduler.
namespace Quill.Serving;

/// <summary>A live view of a batching engine's load; values are read without locks and may be a step old.</summary>
public interface IBatchStatus
{
    /// <summary>KV cache slots, i.e. sequences decoded together at most.</summary>
    int Slots { get; }

    /// <summary>Sequences holding a slot now (prefilling or decoding).</summary>
    int ActiveSequences { get; }

    /// <summary>Requests waiting for a free slot.</summary>
    int QueuedRequests { get; }

    /// <summary>The most requests that may wait; one more gets <see cref="QueueFullException"/>.</summary>
    int QueueCapacity { get; }

    /// <summary>Forward-pass steps run since start.</summary>
    long Steps { get; }
}
