// The one generation loop: prompt → sampled tokens → safe text, with stops, limits, logprobs and streaming; not a batcher or scheduler.
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using Quill.Models;
using Quill.Tokenizers;

namespace Quill.Generation;

/// <summary>
/// Generates text from a causal model. Each call creates its own KV cache (<see cref="IInferenceState"/>), sampler
/// chain and buffers, so one Generator may serve several calls at once if the model allows concurrent states.
/// Per call: the prompt goes through the model in one <see cref="IInferenceState.Append"/> (matrix-matrix), then one
/// token at a time; the logits buffer, candidates and token history are allocated once, not per token.
/// </summary>
public sealed class Generator
{
    private readonly ICausalModel model;
    private readonly ITokenizer tokenizer;

    /// <summary>A generator over <paramref name="model"/>, turning tokens into text with <paramref name="tokenizer"/>.</summary>
    public Generator(ICausalModel model, ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        this.model = model;
        this.tokenizer = tokenizer;
    }

    /// <summary>
    /// Generates until an end-of-generation token or a stop string (<see cref="FinishReason.Stop"/>), MaxTokens or a
    /// full context (<see cref="FinishReason.Length"/>), or cancellation (<see cref="FinishReason.Cancelled"/>, with
    /// the text so far; no exception). Runs synchronously on the calling thread.
    /// </summary>
    public GenerationResult Generate(GenerationRequest request, CancellationToken ct = default) => Run(request, emit: null, ct);

    /// <summary>
    /// Streams the text as it becomes safe to show (whole UTF-8 characters, nothing that may start a stop string),
    /// then a last chunk with the finish reason and usage. Cancelling ends the stream with
    /// <see cref="FinishReason.Cancelled"/> after the token being computed; leaving the loop early stops generation.
    /// Errors in the request surface from the first <c>MoveNextAsync</c>.
    /// </summary>
    public async IAsyncEnumerable<GenerationChunk> StreamAsync(GenerationRequest request, [EnumeratorCancellation] CancellationToken ct = default)
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
                    Run(request, chunk => channel.Writer.TryWrite(chunk), stop.Token);
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

    private GenerationResult Run(GenerationRequest request, Action<GenerationChunk>? emit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        int vocab = model.VocabSize;
        int contextLength = request.ContextLength ?? model.ContextLength;
        int[] prompt = PromptOf(request);
        Validate(request, prompt, contextLength, vocab);

        var sampler = Sampler.Create(request.Sampling, vocab);
        var alternatives = new ScoredToken[Math.Min(request.Logprobs, vocab)];
        List<TokenLogprob>? logprobs = request.Logprobs > 0 ? [] : null;
        // At most one token per free cache slot, plus one sampled when the cache is already full.
        int maxCompletion = (int)Math.Min(request.MaxTokens, (long)contextLength - prompt.Length + 1);
        var sequence = new int[prompt.Length + maxCompletion]; // prompt then completion: the penalties' history
        prompt.CopyTo(sequence, 0);
        int length = prompt.Length;
        var logits = new float[vocab]; // (V) logits of the last position
        var text = new StreamedText(request.Stop);
        int emittedChars = 0, emittedLogprobs = 0;
        FinishReason finish;

        using (IInferenceState state = model.CreateState(contextLength))
        {
            if (ct.IsCancellationRequested) finish = FinishReason.Cancelled;
            else
            {
                state.Append(prompt, logits);
                while (true)
                {
                    if (ct.IsCancellationRequested) { finish = FinishReason.Cancelled; break; }
                    if (length - prompt.Length >= request.MaxTokens) { finish = FinishReason.Length; break; }

                    ReadOnlySpan<int> history = sequence.AsSpan(0, length);
                    int token;
                    if (logprobs is null) token = sampler.Sample(logits, history);
                    else
                    {
                        token = sampler.Sample(logits, history, alternatives, out float logprob);
                        if (!tokenizer.IsEndOfGeneration(token)) logprobs.Add(Report(token, logprob, alternatives));
                    }
                    if (tokenizer.IsEndOfGeneration(token)) { finish = FinishReason.Stop; break; }

                    sequence[length++] = token;
                    bool stopped = text.AppendToken(tokenizer.TokenBytes(token));
                    if (emit is not null && text.Length > emittedChars)
                    {
                        emit(new GenerationChunk(text.Released(emittedChars)) { Logprobs = Since(logprobs, emittedLogprobs) });
                        emittedChars = text.Length;
                        emittedLogprobs = logprobs?.Count ?? 0;
                    }
                    if (stopped) { finish = FinishReason.Stop; break; }
                    if (state.Position >= state.ContextLength) { finish = FinishReason.Length; break; }

                    state.Append(sequence.AsSpan(length - 1, 1), logits);
                }
            }
        }

        if (text.End()) finish = FinishReason.Stop; // a stop string completed by the final flush
        int[] completion = sequence[prompt.Length..length];
        if (emit is not null)
        {
            emit(new GenerationChunk(text.Released(emittedChars))
            {
                Logprobs = Since(logprobs, emittedLogprobs),
                FinishReason = finish,
                Usage = new GenerationUsage(prompt.Length, completion.Length),
                MatchedStop = text.MatchedStop,
            });
        }
        return new GenerationResult(text.ToString(), completion, finish, prompt.Length, completion.Length, logprobs)
        {
            MatchedStop = text.MatchedStop,
            Seed = sampler.Seed,
        };
    }

    private int[] PromptOf(GenerationRequest request)
    {
        if (request.Prompt is not null && request.PromptTokens is not null) ThrowRequest("give Prompt or PromptTokens, found both");
        if (request.PromptTokens is not null) return request.PromptTokens;
        if (request.Prompt is null) ThrowRequest("give Prompt or PromptTokens, found neither");
        return tokenizer.Encode(request.Prompt!, request.AddSpecial, request.ParseSpecial);
    }

    private static void Validate(GenerationRequest request, int[] prompt, int contextLength, int vocab)
    {
        if (request.MaxTokens < 0) ThrowRequest($"MaxTokens must be 0 or more, found {request.MaxTokens}");
        if (request.Logprobs < 0) ThrowRequest($"Logprobs must be 0 or more, found {request.Logprobs}");
        if (contextLength <= 0) ThrowRequest($"ContextLength must be positive, found {contextLength}");
        if (prompt.Length == 0) ThrowRequest("the prompt must have at least one token, found none (empty text without a BOS?)");
        if (prompt.Length > contextLength) ThrowRequest($"the prompt must fit the context of {contextLength} tokens, found {prompt.Length} tokens");
        for (int i = 0; i < prompt.Length; i++)
        {
            if ((uint)prompt[i] >= (uint)vocab) ThrowRequest($"prompt token ids must be in [0, {vocab}), found {prompt[i]} at position {i}");
        }
        ArgumentNullException.ThrowIfNull(request.Sampling);
        request.Sampling.Validate();
    }

    private TokenLogprob Report(int token, float logprob, ReadOnlySpan<ScoredToken> alternatives)
    {
        var top = new TopLogprob[alternatives.Length];
        for (int i = 0; i < top.Length; i++) top[i] = new TopLogprob(alternatives[i].Id, TextOf(alternatives[i].Id), alternatives[i].Logprob);
        return new TokenLogprob(token, TextOf(token), logprob, top);
    }

    private string TextOf(int token) => tokenizer.Decode(new ReadOnlySpan<int>(in token));

    private static IReadOnlyList<TokenLogprob>? Since(List<TokenLogprob>? logprobs, int start) =>
        logprobs is null || logprobs.Count == start ? null : logprobs.GetRange(start, logprobs.Count - start);

    private static void ThrowRequest(string message) => throw new ArgumentException($"generation request: {message}");
}
