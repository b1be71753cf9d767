// Thrown when a generation engine's bounded queue cannot take another request (HTTP 429); not a failure of the request.
namespace Quill.Serving;

/// <summary>The waiting queue already holds its maximum number of requests; try again later.</summary>
public sealed class QueueFullException(int capacity)
    : InvalidOperationException($"the server is busy: {capacity} requests are already waiting, try again later")
{
    /// <summary>How many requests the queue holds at most.</summary>
    public int Capacity { get; } = capacity;
}
