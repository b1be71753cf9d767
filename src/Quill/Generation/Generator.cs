// The one generation loop: prompt → sampled tokens → safe text, with stops, limits, logprobs and streaming; not a batcher or scheduler.
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Quill.Models;
using Quill.Tokenizers;

namespace Quill.Generation;

/// <summary>
/// Generates text from a causal model. Each call creates its own KV cache (<see cref="IInferenceState"/>), sampler
/// chain and buffers, so one Generator may serve several calls at once if the model allows concurrent states.
/// Per call: the prompt goes through the model in one <see cref="IInferenceState.Append"/> (matrix-matrix), then one
/// token at a time; the logits buffer, candidates and token history are allocated once, not per token. The overloads
/// taking a <see cref="PromptCache"/> use its KV cache instead and keep it for the next call (one call at a time).
/// </summary>
public sealed class Generator : ITextGenerator
{
    private readonly ICausalModel _model;
    private readonly ITokenizer _tokenizer;

    /// <summary>A generator over <paramref name="model"/>, turning tokens into text with <paramref name="tokenizer"/>.</summary>
    public Generator(ICausalModel model, ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        _model = model;
        _tokenizer = tokenizer;
    }

    public ITokenizer Tokenizer => _tokenizer;

    /// <summary>The model this generator runs.</summary>
    public ICausalModel Model => _model;

    public int ContextLength => _model.ContextLength;

    /// <summary>Runs <see cref="Generate(GenerationRequest, CancellationToken)"/> on a thread of its own (a forward pass is long and synchronous).</summary>
    public Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken ct = default) =>
        Task.Factory.StartNew(() => Generate(request, ct), CancellationToken.None, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach,
            TaskScheduler.Default);

    /// <summary>
    /// Generates until an end-of-generation token or a stop string (<see cref="FinishReason.Stop"/>), MaxTokens or a
    /// full context (<see cref="FinishReason.Length"/>), or cancellation (<see cref="FinishReason.Cancelled"/>, with
    /// the text so far; no exception). Runs synchronously on the calling thread.
    /// </summary>
    public GenerationResult Generate(GenerationRequest request, CancellationToken ct = default) => Run(request, emit: null, cache: null, ct);

    /// <summary>
    /// As <see cref="Generate(GenerationRequest, CancellationToken)"/> in <paramref name="cache"/>'s KV cache: the
    /// prefix of the prompt it already holds is not computed again (<see cref="GenerationResult.CachedTokens"/>), and
    /// it keeps this generation's tokens for the next call. The output is the same as without a cache.
    /// </summary>
    public GenerationResult Generate(GenerationRequest request, PromptCache cache, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        return Run(request, emit: null, cache, ct);
    }

    /// <summary>
    /// As <see cref="Generate(GenerationRequest, CancellationToken)"/>, handing <paramref name="onChunk"/> the same chunks
    /// <see cref="StreamAsync(GenerationRequest, CancellationToken)"/> yields (safe-to-show text, then a last chunk with the finish reason and usage) on the
    /// calling thread, as each is ready; the next token is computed only after it returns. For callers that print as they
    /// go (the CLI) and have nothing to await. Returns the whole result as well.
    /// </summary>
    public GenerationResult Generate(GenerationRequest request, Action<GenerationChunk> onChunk, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(onChunk);
        return Run(request, onChunk, cache: null, ct);
    }

    /// <summary>
    /// Streams the text as it becomes safe to show (whole UTF-8 characters, nothing that may start a stop string),
    /// then a last chunk with the finish reason and usage. Cancelling ends the stream with
    /// <see cref="FinishReason.Cancelled"/> after the token being computed; leaving the loop early stops generation.
    /// Errors in the request surface from the first <c>MoveNextAsync</c>.
    /// </summary>
    public IAsyncEnumerable<GenerationChunk> StreamAsync(GenerationRequest request, CancellationToken ct = default) => Stream(request, cache: null, ct);

    /// <summary>
    /// As <see cref="StreamAsync(GenerationRequest, CancellationToken)"/> in <paramref name="cache"/>'s KV cache (see
    /// <see cref="Generate(GenerationRequest, PromptCache, CancellationToken)"/>); the last chunk's usage reports the
    /// cached prompt tokens.
    /// </summary>
    public IAsyncEnumerable<GenerationChunk> StreamAsync(GenerationRequest request, PromptCache cache, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        return Stream(request, cache, ct);
    }

    private async IAsyncEnumerable<GenerationChunk> Stream(GenerationRequest request, PromptCache? cache, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        // Each token is a long, synchronous forward pass. Running it inside MoveNextAsync would block the consumer's
        // thread (a UI or request thread) for the whole generation and serialise compute with the consumer's own
        // awaits (writing to a socket). So the loop runs on one dedicated thread and hands chunks over an unbounded
        // channel (at most one chunk per token, so it stays small): no fake async, no Task.Run per token.
        var channel = Channel.CreateUnbounded<GenerationChunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task producer = Task.Factory.StartNew(
            () =>
            {
                try
                {
                    Run(request, chunk => channel.Writer.TryWrite(chunk), cache, stop.Token);
                    channel.Writer.TryComplete();
                }
                catch (Exception e)
                {
                    channel.Writer.TryComplete(e);
                }
            },
            CancellationToken.None, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
        try
        {
            await foreach (GenerationChunk chunk in channel.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                yield return chunk;
            }
        }
        finally
        {
            stop.Cancel(); // no-op when the loop already ended; otherwise the consumer left early
            await producer.ConfigureAwait(false);
        }
    }

    private GenerationResult Run(GenerationRequest request, Action<GenerationChunk>? emit, PromptCache? cache, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        int contextLength = request.ContextLength ?? _model.ContextLength;
        var sequence = new GenerationSequence(request, _tokenizer, _model.VocabSize, contextLength, emit);
        var logits = new float[_model.VocabSize]; // (V) logits of the last position
        if (ct.IsCancellationRequested)
        {
            sequence.Finish(FinishReason.Cancelled);
            return sequence.Result();
        }
        int cached = 0;
        IInferenceState state = cache?.Begin(_model, contextLength, sequence.Prompt, request.CachePrompt, out cached) ?? _model.CreateState(contextLength);
        try
        {
            sequence.CachedTokens = cached;
            ReadOnlySpan<int> fresh = sequence.Prompt.AsSpan(cached);
            state.Append(fresh, logits);
            cache?.Appended(fresh);
            while (true)
            {
                if (ct.IsCancellationRequested) { sequence.Finish(FinishReason.Cancelled); break; }
                if (!sequence.Step(logits)) break;
                int last = sequence.LastToken;
                state.Append(new ReadOnlySpan<int>(in last), logits);
                cache?.Appended(new ReadOnlySpan<int>(in last));
            }
        }
        catch
        {
            cache?.Clear(); // what the state holds after a failed append is unknown
            throw;
        }
        finally
        {
            if (cache is null) state.Dispose();
        }
        return sequence.Result();
    }
}
