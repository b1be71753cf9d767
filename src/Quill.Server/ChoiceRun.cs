// Runs the n choices of one request through the engine and merges their streamed chunks; not HTTP and not JSON.
using System.Diagnostics;
using System.Threading.Channels;
using Quill.Generation;
using Quill.Serving;

namespace Quill.Server;

/// <summary>One streamed chunk of choice <paramref name="Index"/>.</summary>
internal readonly record struct ChoiceChunk(int Index, GenerationChunk Chunk);

/// <summary>
/// Starts every choice and waits for each one's first chunk before anything is sent, so that a bad request
/// (ArgumentException: 400) or a full queue (QueueFullException: 429) is still answered as an error; afterwards the
/// chunks of all choices arrive through one channel in the order they were produced. Disposing cancels the
/// generations still running (a client that left) and waits for them, so their slots are free when it returns.
/// </summary>
internal sealed class ChoiceRun : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly Channel<ChoiceChunk> _chunks = Channel.CreateUnbounded<ChoiceChunk>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<IAsyncEnumerator<GenerationChunk>> _choices = [];
    private readonly List<GenerationChunk?> _firstChunks = [];
    private readonly List<Task> _pumps = [];
    private int _running;

    private readonly ServerMetrics _metrics;

    private ChoiceRun(ServerMetrics metrics, CancellationToken ct)
    {
        _metrics = metrics;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
    }

    /// <summary>The number of choices; their indexes are 0 to Count - 1.</summary>
    public int Count => _choices.Count;

    /// <summary>True when the choices report logprobs.</summary>
    public bool LogprobsRequested { get; private init; }

    /// <summary>OpenAI's finish_reason of choice 0 once it finished (for the request log), else null.</summary>
    public string? FirstFinishReason { get; private set; }

    /// <summary>The mean logprob of every sampled token of every choice when logprobs were computed (for the request log), else null.</summary>
    public double? MeanLogprob
    {
        get
        {
            lock (_logprobLock) return _logprobCount == 0 ? null : _logprobSum / _logprobCount;
        }
    }

    private readonly Lock _logprobLock = new();
    private double _logprobSum;
    private long _logprobCount;

    /// <summary>Time from the start to the first chunk of choice 0.</summary>
    public TimeSpan TimeToFirstChunk { get; private set; }

    /// <summary>
    /// Starts <paramref name="requests"/> (choice i is requests[i]); throws <see cref="ApiError"/> for what the engine
    /// refuses. <paramref name="promptParam"/> names the field a too-long prompt came from.
    /// </summary>
    /// <remarks>
    /// <paramref name="logprobsRequested"/> says whether the client asked for logprobs when the engine computes them anyway
    /// (the request log's mean logprob); null reads it from the requests.
    /// </remarks>
    public static async Task<ChoiceRun> StartAsync(ITextGenerator generator, IReadOnlyList<GenerationRequest> requests, string promptParam,
        ServerMetrics metrics, CancellationToken ct, bool? logprobsRequested = null)
    {
        var run = new ChoiceRun(metrics, ct) { LogprobsRequested = logprobsRequested ?? (requests.Count > 0 && requests[0].Logprobs is not null) };
        var clock = Stopwatch.StartNew();
        try
        {
            foreach (GenerationRequest request in requests)
            {
                IAsyncEnumerator<GenerationChunk> choice = generator.StreamAsync(request, run._stop.Token).GetAsyncEnumerator(run._stop.Token);
                run._choices.Add(choice);
                bool any = await FirstAsync(choice, promptParam).ConfigureAwait(false);
                if (run._firstChunks.Count == 0) run.TimeToFirstChunk = clock.Elapsed;
                run._firstChunks.Add(any ? choice.Current : null);
            }
            run._running = run._choices.Count;
            for (int i = 0; i < run._choices.Count; i++) run._pumps.Add(run.PumpAsync(i));
            return run;
        }
        catch
        {
            await run.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Every chunk of every choice, until all have finished.</summary>
    public IAsyncEnumerable<ChoiceChunk> ReadAllAsync(CancellationToken ct) => _chunks.Reader.ReadAllAsync(ct);

    private static async Task<bool> FirstAsync(IAsyncEnumerator<GenerationChunk> choice, string promptParam)
    {
        try
        {
            return await choice.MoveNextAsync().ConfigureAwait(false);
        }
        catch (QueueFullException full)
        {
            throw ApiError.QueueFull(full.Message);
        }
        catch (PromptTooLongException tooLong)
        {
            throw ApiError.BadRequest(tooLong.Message, promptParam, "context_length_exceeded");
        }
        catch (ArgumentException bad)
        {
            throw ApiError.BadRequest(bad.Message);
        }
    }

    private async Task PumpAsync(int index)
    {
        IAsyncEnumerator<GenerationChunk> choice = _choices[index];
        try
        {
            if (_firstChunks[index] is { } first)
            {
                Forward(index, first);
                while (await choice.MoveNextAsync().ConfigureAwait(false)) Forward(index, choice.Current);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            _metrics.GenerationsCancelled(1);
        }
        catch (Exception error)
        {
            _chunks.Writer.TryComplete(error);
        }
        finally
        {
            if (Interlocked.Decrement(ref _running) == 0) _chunks.Writer.TryComplete();
        }
    }

    private void Forward(int index, GenerationChunk chunk)
    {
        if (chunk.FinishReason == FinishReason.Cancelled) _metrics.GenerationsCancelled(1);
        if (index == 0 && chunk.FinishReason is { } reason) FirstFinishReason = Quill.OpenAI.OpenAIFinishReason.Of(reason);
        if (chunk.Logprobs is { Count: > 0 } logprobs)
        {
            lock (_logprobLock)
            {
                foreach (TokenLogprob token in logprobs) _logprobSum += token.Logprob;
                _logprobCount += logprobs.Count;
            }
        }
        _chunks.Writer.TryWrite(new ChoiceChunk(index, chunk));
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await Task.WhenAll(_pumps).ConfigureAwait(false);
        foreach (IAsyncEnumerator<GenerationChunk> choice in _choices)
        {
            try { await choice.DisposeAsync().ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
        _stop.Dispose();
    }
}
