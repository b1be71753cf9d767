// One request in flight: prompt, sampler, constraint, history, stops and logprobs, fed one step of logits at a time by Generator or ContinuousBatcher.
using Quill.Generation.Constraints;
using Quill.Tokenizers;

namespace Quill.Generation;

/// <summary>
/// The per-sequence half of generation, shared by <see cref="Generator"/> (one sequence, its own KV cache) and
/// <c>ContinuousBatcher</c> (many sequences in one batched forward pass). The driver appends <see cref="Prompt"/> to
/// a KV cache, then calls <see cref="Step"/> with the logits of the last appended position; while Step returns true
/// the driver appends <see cref="LastToken"/> and calls Step again. Text is emitted as it becomes safe to show.
/// Buffers (history, logits copy, candidates) are allocated once, at construction.
/// </summary>
public sealed class GenerationSequence
{
    private readonly GenerationRequest request;
    private readonly ITokenizer tokenizer;
    private readonly Action<GenerationChunk>? emit;
    private readonly Sampler sampler;
    private readonly ITokenConstraint? constraint;
    private readonly float[]? masked;           // (V) constrained logits, only with a constraint
    private readonly ScoredToken[] alternatives;
    private readonly List<TokenLogprob>? logprobs;
    private readonly int[] sequence;            // prompt then completion: the penalties' history
    private readonly int contextLength;
    private readonly StreamedText text;
    private int length;
    private int emittedChars, emittedLogprobs;

    /// <summary>
    /// Validates <paramref name="request"/> and encodes its prompt (throws <see cref="ArgumentException"/> naming the
    /// field for a bad request). <paramref name="emit"/>, when given, receives every chunk of text as it is released
    /// and a last chunk with the finish reason and usage.
    /// </summary>
    public GenerationSequence(GenerationRequest request, ITokenizer tokenizer, int vocabSize, int contextLength, Action<GenerationChunk>? emit = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(tokenizer);
        this.request = request;
        this.tokenizer = tokenizer;
        this.emit = emit;
        this.contextLength = contextLength;
        Prompt = PromptOf(request, tokenizer);
        Validate(request, Prompt, contextLength, vocabSize);
        sampler = Sampler.Create(request.Sampling, vocabSize);
        constraint = request.Constraint;
        masked = constraint is null ? null : new float[vocabSize];
        alternatives = new ScoredToken[Math.Min(request.Logprobs ?? 0, vocabSize)];
        logprobs = request.Logprobs is not null ? [] : null;
        // At most one token per free cache slot, plus one sampled when the cache is already full.
        int maxCompletion = (int)Math.Min(request.MaxTokens, (long)contextLength - Prompt.Length + 1);
        sequence = new int[Prompt.Length + maxCompletion];
        Prompt.CopyTo(sequence, 0);
        length = Prompt.Length;
        text = new StreamedText(request.Stop);
    }

    /// <summary>The prompt's token ids: what the driver appends to the KV cache first.</summary>
    public int[] Prompt { get; }

    /// <summary>The token sampled by the last <see cref="Step"/> that returned true: the driver appends it next.</summary>
    public int LastToken => sequence[length - 1];

    /// <summary>Tokens generated so far (a final end-of-generation token excluded).</summary>
    public int CompletionTokens => length - Prompt.Length;

    /// <summary>Set once generation has ended.</summary>
    public FinishReason? FinishReason { get; private set; }

    /// <summary>The seed of the random draw, or null for greedy decoding.</summary>
    public ulong? Seed => sampler.Seed;

    /// <summary>
    /// True when the sequence will not sample anything (MaxTokens 0): the driver may finish it with
    /// <see cref="Finish"/> without computing the prompt.
    /// </summary>
    public bool WantsNoTokens => request.MaxTokens == 0;

    /// <summary>
    /// Samples the next token from <paramref name="logits"/> (V; the logits of the last appended position; a
    /// constraint may overwrite a copy, never this span). Returns true when the driver must append
    /// <see cref="LastToken"/> and call again; false when generation has ended (the last chunk is emitted).
    /// </summary>
    public bool Step(ReadOnlySpan<float> logits)
    {
        if (FinishReason is not null) throw new InvalidOperationException("generation sequence: Step called after the sequence finished");
        if (length - Prompt.Length >= request.MaxTokens) return End(Generation.FinishReason.Length);

        int token = Sample(logits);
        if (tokenizer.IsEndOfGeneration(token)) return End(Generation.FinishReason.Stop);

        constraint?.Accept(token);
        sequence[length++] = token;
        bool stopped = text.AppendToken(tokenizer.TokenBytes(token));
        if (emit is not null && text.Length > emittedChars)
        {
            emit(new GenerationChunk(text.Released(emittedChars)) { Logprobs = Since(emittedLogprobs) });
            emittedChars = text.Length;
            emittedLogprobs = logprobs?.Count ?? 0;
        }
        if (stopped) return End(Generation.FinishReason.Stop);
        if (length - 1 >= contextLength) return End(Generation.FinishReason.Length); // the cache cannot take this token
        return true;
    }

    /// <summary>Ends the sequence early (cancellation, a shut-down server) with <paramref name="reason"/>; no-op once finished.</summary>
    public void Finish(FinishReason reason)
    {
        if (FinishReason is null) End(reason);
    }

    /// <summary>The whole outcome; valid once <see cref="FinishReason"/> is set.</summary>
    public GenerationResult Result()
    {
        if (FinishReason is not { } finish) throw new InvalidOperationException("generation sequence: no result before the sequence finished");
        int[] completion = sequence[Prompt.Length..length];
        return new GenerationResult(text.ToString(), completion, finish, Prompt.Length, completion.Length, logprobs)
        {
            MatchedStop = text.MatchedStop,
            Seed = sampler.Seed,
        };
    }

    private int Sample(ReadOnlySpan<float> logits)
    {
        ReadOnlySpan<int> history = sequence.AsSpan(0, length);
        if (constraint is not null)
            constraint.RemainingTokens = (int)Math.Min(request.MaxTokens - (length - Prompt.Length), (long)contextLength - length + 1);
        int token;
        float logprob = 0;
        if (logprobs is null) token = sampler.Sample(logits, history);
        else token = sampler.Sample(logits, history, alternatives, out logprob);

        if (constraint is not null && !constraint.Allows(token))
        {
            logits.CopyTo(masked);
            constraint.Mask(masked);
            token = sampler.Sample(masked, history);
            if (logprobs is not null) logprob = LogSoftmax.Of(logits, token, LogSoftmax.LogSumExp(logits));
        }
        if (logprobs is not null && !tokenizer.IsEndOfGeneration(token)) logprobs.Add(Report(token, logprob));
        return token;
    }

    private bool End(FinishReason reason)
    {
        if (text.End()) reason = Generation.FinishReason.Stop; // a stop string completed by the final flush
        FinishReason = reason;
        emit?.Invoke(new GenerationChunk(text.Released(emittedChars))
        {
            Logprobs = Since(emittedLogprobs),
            FinishReason = reason,
            Usage = new GenerationUsage(Prompt.Length, length - Prompt.Length),
            MatchedStop = text.MatchedStop,
        });
        emittedChars = text.Length;
        emittedLogprobs = logprobs?.Count ?? 0;
        return false;
    }

    private TokenLogprob Report(int token, float logprob)
    {
        var top = new TopLogprob[alternatives.Length];
        for (int i = 0; i < top.Length; i++) top[i] = new TopLogprob(alternatives[i].Id, TextOf(alternatives[i].Id), alternatives[i].Logprob);
        return new TokenLogprob(token, TextOf(token), logprob, top);
    }

    private string TextOf(int token) => tokenizer.Decode(new ReadOnlySpan<int>(in token));

    private IReadOnlyList<TokenLogprob>? Since(int start) =>
        logprobs is null || logprobs.Count == start ? null : logprobs.GetRange(start, logprobs.Count - start);

    private static int[] PromptOf(GenerationRequest request, ITokenizer tokenizer)
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
        if (prompt.Length > contextLength) throw new PromptTooLongException(prompt.Length, contextLength);
        for (int i = 0; i < prompt.Length; i++)
        {
            if ((uint)prompt[i] >= (uint)vocab) ThrowRequest($"prompt token ids must be in [0, {vocab}), found {prompt[i]} at position {i}");
        }
        ArgumentNullException.ThrowIfNull(request.Sampling);
        request.Sampling.Validate();
    }

    private static void ThrowRequest(string message) => throw new ArgumentException($"generation request: {message}");
}
