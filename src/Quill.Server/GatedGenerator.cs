// A stand-in engine until ContinuousBatcher lands: Generator calls limited to N at once behind a bounded queue; not batching.
using System.Runtime.CompilerServices;
using Quill.Generation;
using Quill.Serving;
using Quill.Tokenizers;

namespace Quill.Server;

/// <summary>Runs up to <c>slots</c> generations at once, each with its own KV cache; further calls wait in a bounded queue.</summary>
internal sealed class GatedGenerator(Generator inner, int slots, int queueCapacity, int contextLength) : ITextGenerator, IBatchStatus, IDisposable
{
    private readonly Lock sync = new();
    private readonly LinkedList<TaskCompletionSource> waiting = new();
    private int active;
    private long steps;

    public ITokenizer Tokenizer => inner.Tokenizer;
    public int ContextLength => contextLength;
    public int Slots => slots;
    public int ActiveSequences => Volatile.Read(ref active);
    public int QueuedRequests { get { lock (sync) return waiting.Count; } }
    public int QueueCapacity => queueCapacity;
    public long Steps => Interlocked.Read(ref steps);

    public async Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken ct = default)
    {
        await EnterAsync(ct).ConfigureAwait(false);
        try { return await inner.GenerateAsync(request with { ContextLength = contextLength }, ct).ConfigureAwait(false); }
        finally { Leave(); }
    }

    public async IAsyncEnumerable<GenerationChunk> StreamAsync(GenerationRequest request, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await EnterAsync(ct).ConfigureAwait(false);
        try
        {
            await foreach (GenerationChunk chunk in inner.StreamAsync(request with { ContextLength = contextLength }, ct).ConfigureAwait(false))
            {
                Interlocked.Increment(ref steps);
                yield return chunk;
            }
        }
        finally { Leave(); }
    }

    private async Task EnterAsync(CancellationToken ct)
    {
        TaskCompletionSource ticket;
        LinkedListNode<TaskCompletionSource> node;
        lock (sync)
        {
            if (active < slots) { active++; return; }
            if (waiting.Count >= queueCapacity) throw new QueueFullException(queueCapacity);
            ticket = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            node = waiting.AddLast(ticket);
        }
        using (ct.Register(() =>
        {
            lock (sync)
            {
                if (node.List is null) return; // already handed a slot
                waiting.Remove(node);
            }
            ticket.TrySetCanceled(ct);
        }))
        {
            try { await ticket.Task.ConfigureAwait(false); }
            catch (OperationCanceledException)
            {
                lock (sync) { if (node.List is not null) waiting.Remove(node); }
                if (ticket.Task.IsCompletedSuccessfully) Leave();
                throw;
            }
        }
    }

    private void Leave()
    {
        TaskCompletionSource? next = null;
        lock (sync)
        {
            if (waiting.First is { } first)
            {
                waiting.RemoveFirst();
                next = first.Value; // the slot passes on; active stays
            }
            else active--;
        }
        next?.TrySetResult();
    }

    public void Dispose() { }
}
