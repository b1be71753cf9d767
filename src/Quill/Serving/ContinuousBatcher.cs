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
/// <para>
/// Prompt-prefix reuse (llama.cpp's cache_prompt): a slot keeps its keys and values when its request ends, with the
/// token ids they belong to. A new request goes to the free slot whose tokens share the longest prefix with its prompt
/// (a match below <see cref="BatcherOptions.SlotSimilarity"/> of the prompt counts as none; ties go to the least
/// recently used slot), keeps that prefix (<see cref="PromptPrefix.Reusable"/>) and prefills only the rest. Row results
/// do not depend on what else is in a step, so the output is the same as from an empty slot;
/// <see cref="GenerationResult.CachedTokens"/> says how many prompt tokens were skipped.
/// </para>
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
    private readonly int[][] _held;                         // (Slots, ctx) the token ids whose K/V each slot holds
    private readonly long[] _lastUsed;                      // (Slots) when each slot's last request ended
    private readonly bool _cachePrompt;
    private readonly float _slotSimilarity;
    private long _releases;
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
        if (!(options.SlotSimilarity is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(options), options.SlotSimilarity,
            $"batcher: SlotSimilarity must be between 0 and 1, found {options.SlotSimilarity}");
        Tokenizer = tokenizer;
        _vocab = model.VocabSize;
        _queueCapacity = options.QueueCapacity;
        _state = model.CreateBatchedState(options.Slots, options.ContextLength > 0 ? options.ContextLength : model.ContextLength);
        _slots = new Pending?[options.Slots];
        _batch = new BatchSequence[options.Slots];
        _batchOwners = new Pending[options.Slots];
        _stepTokens = new int[Math.Max(options.Slots, Math.Min(options.MaxStepTokens, _state.MaxStepTokens))];
        _logits = new float[(long)options.Slots * _vocab];
        _held = new int[options.Slots][];
        for (int s = 0; s < _held.Length; s++) _held[s] = new int[_state.ContextLength];
        _lastUsed = new long[options.Slots];
        _cachePrompt = options.CachePrompt;
        _slotSimilarity = options.SlotSimilarity;
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
                foreach (BatchSequence b in _batch.AsSpan(0, count))
                    _stepTokens.AsSpan(b.Offset, b.Count).CopyTo(_held[b.Slot].AsSpan(_state.Position(b.Slot) - b.Count));
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

    /// <summary>
    /// Moves waiting requests into free slots, each to the slot that holds the longest prefix of its prompt; finishes
    /// those cancelled while waiting or asking for no tokens.
    /// </summary>
    private void Admit()
    {
        foreach (Pending? p in _slots)
        {
            if (p is not { Abandoned: true }) continue;
            p.Sequence.Finish(FinishReason.Cancelled);
            Release(p, null);
        }
        while (Volatile.Read(ref _active) < _slots.Length)
        {
            Pending? next;
            lock (_gate)
            {
                if (!_waiting.TryDequeue(out next)) return;
            }
            if (next.Abandoned) { next.Sequence.Finish(FinishReason.Cancelled); next.Complete(null); continue; }
            if (next.Sequence.WantsNoTokens) { next.Sequence.Step(default); next.Complete(null); continue; }
            bool reuse = _cachePrompt && next.Sequence.CachePrompt;
            int slot = ChooseSlot(next.Sequence.Prompt, reuse);
            int cached = reuse ? PromptPrefix.Reusable(Held(slot), next.Sequence.Prompt) : 0;
            _state.Truncate(slot, cached);
            next.Sequence.CachedTokens = cached;
            next.Prefilled = cached;
            next.Slot = slot;
            _slots[slot] = next;
            Interlocked.Increment(ref _active);
        }
    }

    /// <summary>
    /// The free slot sharing the longest prefix with <paramref name="prompt"/> (llama.cpp's slot selection): a match
    /// under <see cref="BatcherOptions.SlotSimilarity"/> of the prompt counts as 0, ties go to the least recently used.
    /// </summary>
    private int ChooseSlot(int[] prompt, bool reuse)
    {
        int best = -1, bestMatch = -1;
        for (int s = 0; s < _slots.Length; s++)
        {
            if (_slots[s] is not null) continue;
            int match = reuse ? Held(s).CommonPrefixLength(prompt) : 0;
            if (match < _slotSimilarity * prompt.Length) match = 0;
            if (match > bestMatch || (match == bestMatch && _lastUsed[s] < _lastUsed[best])) (best, bestMatch) = (s, match);
        }
        return best;
    }

    /// <summary>The token ids whose keys and values slot <paramref name="slot"/> holds.</summary>
    private ReadOnlySpan<int> Held(int slot) => _held[slot].AsSpan(0, _state.Position(slot));

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

    /// <summary>
    /// Frees the slot of a sequence that ended (or failed with <paramref name="error"/>). The slot keeps its keys and
    /// values for a later prompt with the same prefix, unless a failure may have left them half written.
    /// </summary>
    private void Release(Pending p, Exception? error)
    {
        if (p.Slot >= 0 && _slots[p.Slot] == p)
        {
            if (error is not null) _state.Truncate(p.Slot, 0);
            _lastUsed[p.Slot] = ++_releases;
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
