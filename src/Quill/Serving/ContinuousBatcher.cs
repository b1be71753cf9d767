// Continuous batching: concurrent requests decoded together, one batched forward pass per step; not HTTP (that is Quill.Server).
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Quill.Generation;
using Quill.Models;
using Quill.Tokenizers;

namespace Quill.Serving;

/// <summary>
/// Serves many <see cref="GenerationRequest"/>s at once on one model. Requests wait in a bounded queue for one of
/// <see cref="BatcherOptions.Slots"/> KV cache slots; a single scheduler thread then runs steps: every decoding
/// sequence contributes its last sampled token, prefilling sequences contribute prompt chunks up to the step's token
/// budget, and one <see cref="IBatchedInferenceState.Decode"/> computes them all (weights read once per step).
/// Sequences join and leave between steps; each has its own sampler, stops and constraint
/// (<see cref="GenerationSequence"/>). A cancelled request (or a stream its consumer left) leaves at the next step
/// and frees its slot. Because the batched state is batch-invariant, a request yields the same tokens alone or
/// beside others.
/// </summary>
public sealed class ContinuousBatcher : ITextGenerator, IBatchStatus, IDisposable
{
    private readonly IBatchedInferenceState _state;
    private readonly int _queueCapacity;
    private readonly int _vocab;
    private readonly object _gate = new();
    private readonly Queue<Pending> _waiting = new();     // guarded by gate
    private readonly Pending?[] _slots;                     // owned by the scheduler thread
    private readonly BatchSequence[] _batch;
    private readonly Pending[] _batchOwners;
    private readonly int[] _stepTokens;
    private readonly float[] _logits;                       // (Slots, V)
    private readonly Thread _scheduler;
    private readonly SemaphoreSlim _wake = new(0);
    private volatile bool _disposed;
    private int _active;
    private long _steps;

    /// <summary>Creates the KV cache for every slot up front and starts the scheduler thread.</summary>
    public ContinuousBatcher(ICausalModel model, ITokenizer tokenizer, BatcherOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        options ??= new BatcherOptions();
        if (options.Slots <= 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.Slots, $"batcher: Slots must be positive, found {options.Slots}");
        if (options.QueueCapacity < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.QueueCapacity,
            $"batcher: QueueCapacity must be 0 or more, found {options.QueueCapacity}");
        if (options.MaxStepTokens <= 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxStepTokens,
            $"batcher: MaxStepTokens must be positive, found {options.MaxStepTokens}");
        if (options.ContextLength < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.ContextLength,
            $"batcher: ContextLength must be 0 (the model's) or more, found {options.ContextLength}");
        Tokenizer = tokenizer;
        _vocab = model.VocabSize;
        _queueCapacity = options.QueueCapacity;
        _state = model.CreateBatchedState(options.Slots, options.ContextLength > 0 ? options.ContextLength : model.ContextLength);
        _slots = new Pending?[options.Slots];
        _batch = new BatchSequence[options.Slots];
        _batchOwners = new Pending[options.Slots];
        _stepTokens = new int[Math.Max(options.Slots, Math.Min(options.MaxStepTokens, _state.MaxStepTokens))];
        _logits = new float[(long)options.Slots * _vocab];
        _scheduler = new Thread(Run) { IsBackground = true, Name = "quill-batcher" };
        _scheduler.Start();
    }

    public ITokenizer Tokenizer { get; }

    /// <summary>Tokens each slot holds (prompt plus completion).</summary>
    public int ContextLength => _state.ContextLength;

    public int Slots => _slots.Length;
    public int ActiveSequences => Volatile.Read(ref _active);
    public int QueuedRequests { get { lock (_gate) return _waiting.Count; } }
    public int QueueCapacity => _queueCapacity;
    public long Steps => Interlocked.Read(ref _steps);

    /// <summary>
    /// Queues the request and waits for its whole result. Throws <see cref="ArgumentException"/> for a bad request
    /// and <see cref="QueueFullException"/> when the queue is full; cancellation ends the result with
    /// <see cref="FinishReason.Cancelled"/>.
    /// </summary>
    public Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken ct = default)
    {
        try
        {
            return Submit(request, streaming: false, ct).Completion.Task;
        }
        catch (Exception e)
        {
            return Task.FromException<GenerationResult>(e);
        }
    }

    /// <summary>
    /// Queues the request and streams its chunks. Errors (<see cref="ArgumentException"/>,
    /// <see cref="QueueFullException"/>) surface from the first MoveNextAsync, before any chunk. Leaving the loop
    /// early or cancelling frees the slot at the next step.
    /// </summary>
    public async IAsyncEnumerable<GenerationChunk> StreamAsync(GenerationRequest request, [EnumeratorCancellation] CancellationToken ct = default)
    {
        Pending pending = Submit(request, streaming: true, ct);
        try
        {
            await foreach (GenerationChunk chunk in pending.Chunks!.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
                yield return chunk;
        }
        finally
        {
            pending.Abandon(); // no-op when it finished; otherwise the consumer left early
        }
    }

    private Pending Submit(GenerationRequest request, bool streaming, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(request);
        int contextLength = Math.Min(request.ContextLength ?? _state.ContextLength, _state.ContextLength);
        var pending = new Pending(this, streaming);
        pending.Sequence = new GenerationSequence(request, Tokenizer, _vocab, contextLength, streaming ? pending.Emit : null);
        lock (_gate)
        {
            if (_waiting.Count >= _queueCapacity && FreeSlots() <= 0) throw new QueueFullException(_queueCapacity);
            _waiting.Enqueue(pending);
        }
        if (ct.CanBeCanceled) pending.Registration = ct.Register(static p => ((Pending)p!).Abandon(), pending);
        _wake.Release();
        return pending;
    }

    // Slots free now; read under gate by Submit (a step may free more meanwhile: then the queue drains sooner).
    private int FreeSlots() => _slots.Length - Volatile.Read(ref _active) - _waiting.Count;

    private void Run()
    {
        while (!_disposed)
        {
            Admit();
            int count = BuildStep(out int tokenCount);
            if (count == 0)
            {
                _wake.Wait();
                continue;
            }
            try
            {
                _state.Decode(_batch.AsSpan(0, count), _stepTokens.AsSpan(0, tokenCount), _logits.AsSpan(0, count * _vocab));
                Interlocked.Increment(ref _steps);
            }
            catch (Exception e)
            {
                for (int i = 0; i < count; i++) Release(_batchOwners[i], e);
                continue;
            }
            for (int i = 0; i < count; i++)
            {
                Pending p = _batchOwners[i];
                if (p.Prefilled < p.Sequence.Prompt.Length)
                {
                    p.Prefilled += _batch[i].Count;
                    if (p.Prefilled < p.Sequence.Prompt.Length) continue; // more prompt chunks to go
                }
                if (p.Abandoned) { p.Sequence.Finish(FinishReason.Cancelled); Release(p, null); continue; }
                try
                {
                    if (!p.Sequence.Step(_logits.AsSpan(i * _vocab, _vocab))) Release(p, null);
                }
                catch (Exception e)
                {
                    Release(p, e);
                }
            }
        }
    }

    /// <summary>Moves waiting requests into free slots; finishes those cancelled while waiting or asking for no tokens.</summary>
    private void Admit()
    {
        foreach (Pending? p in _slots)
        {
            if (p is not { Abandoned: true }) continue;
            p.Sequence.Finish(FinishReason.Cancelled);
            Release(p, null);
        }
        for (int s = 0; s < _slots.Length; s++)
        {
            while (_slots[s] is null)
            {
                Pending? next;
                lock (_gate)
                {
                    if (!_waiting.TryDequeue(out next)) return;
                }
                if (next.Abandoned) { next.Sequence.Finish(FinishReason.Cancelled); next.Complete(null); continue; }
                if (next.Sequence.WantsNoTokens) { next.Sequence.Step(default); next.Complete(null); continue; }
                next.Slot = s;
                _slots[s] = next;
                Interlocked.Increment(ref _active);
            }
        }
    }

    /// <summary>Decoding sequences first (one token each), then prompt chunks in arrival order within the token budget.</summary>
    private int BuildStep(out int tokenCount)
    {
        int count = 0, used = 0;
        foreach (Pending? p in _slots)
        {
            if (p is null || p.Prefilled < p.Sequence.Prompt.Length) continue;
            _stepTokens[used] = p.Sequence.LastToken;
            _batch[count] = new BatchSequence(p.Slot, used, 1);
            _batchOwners[count++] = p;
            used++;
        }
        // Prompt chunks, oldest request first (a handful of slots: a selection pass per chunk allocates nothing).
        long after = long.MinValue;
        while (used < _stepTokens.Length)
        {
            Pending? p = null;
            foreach (Pending? q in _slots)
            {
                if (q is null || q.Prefilled >= q.Sequence.Prompt.Length || q.Arrival <= after) continue;
                if (p is null || q.Arrival < p.Arrival) p = q;
            }
            if (p is null) break;
            after = p.Arrival;
            int n = Math.Min(p.Sequence.Prompt.Length - p.Prefilled, _stepTokens.Length - used);
            p.Sequence.Prompt.AsSpan(p.Prefilled, n).CopyTo(_stepTokens.AsSpan(used));
            _batch[count] = new BatchSequence(p.Slot, used, n);
            _batchOwners[count++] = p;
            used += n;
        }
        tokenCount = used;
        return count;
    }

    /// <summary>Frees the slot of a sequence that ended (or failed with <paramref name="error"/>).</summary>
    private void Release(Pending p, Exception? error)
    {
        if (p.Slot >= 0 && _slots[p.Slot] == p)
        {
            _state.Truncate(p.Slot, 0);
            _slots[p.Slot] = null;
            Interlocked.Decrement(ref _active);
        }
        if (error is not null && p.Sequence.FinishReason is null) p.Sequence.Finish(FinishReason.Cancelled);
        p.Complete(error);
    }

    /// <summary>Stops the scheduler; requests still queued or running end with <see cref="FinishReason.Cancelled"/>.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _wake.Release();
        _scheduler.Join();
        foreach (Pending? p in _slots)
        {
            if (p is null) continue;
            p.Sequence.Finish(FinishReason.Cancelled);
            Release(p, null);
        }
        lock (_gate)
        {
            while (_waiting.TryDequeue(out Pending? p))
            {
                p.Sequence.Finish(FinishReason.Cancelled);
                p.Complete(null);
            }
        }
        _state.Dispose();
        _wake.Dispose();
    }

    /// <summary>One request from submission to its last chunk.</summary>
    private sealed class Pending(ContinuousBatcher owner, bool streaming)
    {
        private static long arrivals;
        private volatile bool _abandoned;

        public GenerationSequence Sequence = null!;
        public readonly long Arrival = Interlocked.Increment(ref arrivals);
        public readonly Channel<GenerationChunk>? Chunks = streaming
            ? Channel.CreateUnbounded<GenerationChunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true })
            : null;
        public readonly TaskCompletionSource<GenerationResult> Completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public CancellationTokenRegistration Registration;
        public int Slot = -1;
        public int Prefilled; // prompt tokens in the cache

        public bool Abandoned => _abandoned;

        public void Emit(GenerationChunk chunk) => Chunks!.Writer.TryWrite(chunk);

        /// <summary>Asks the scheduler to drop this request at its next step (cancellation, a consumer that left).</summary>
        public void Abandon()
        {
            if (_abandoned || Completion.Task.IsCompleted) return;
            _abandoned = true;
            try { owner._wake.Release(); } catch (ObjectDisposedException) { }
        }

        public void Complete(Exception? error)
        {
            Registration.Dispose();
            if (error is null)
            {
                Chunks?.Writer.TryComplete();
                Completion.TrySetResult(Sequence.Result());
            }
            else
            {
                Chunks?.Writer.TryComplete(error);
                Completion.TrySetException(error);
            }
        }
    }
}
