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
    private readonly GenerationRequest _request;
    private readonly ITokenizer _tokenizer;
    private readonly Action<GenerationChunk>? _emit;
    private readonly Sampler _sampler;
    private readonly ITokenConstraint? _constraint;
    private readonly float[]? _masked;           // (V) constrained logits, only with a constraint
    private readonly ScoredToken[] _alternatives;
    private readonly List<TokenLogprob>? _logprobs;
    private readonly int[] _sequence;            // prompt then completion: the penalties' history
    private readonly int _contextLength;
    private readonly StreamedText _text;
    private int _length;
    private int _emittedChars, _emittedLogprobs;

    /// <summary>
    /// Validates <paramref name="request"/> and encodes its prompt (throws <see cref="ArgumentException"/> naming the
    /// field for a bad request). <paramref name="emit"/>, when given, receives every chunk of text as it is released
    /// and a last chunk with the finish reason and usage.
    /// </summary>
    public GenerationSequence(GenerationRequest request, ITokenizer tokenizer, int vocabSize, int contextLength, Action<GenerationChunk>? emit = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(tokenizer);
        _request = request;
        _tokenizer = tokenizer;
        _emit = emit;
        _contextLength = contextLength;
        Prompt = PromptOf(request, tokenizer);
        Validate(request, Prompt, contextLength, vocabSize);
        _sampler = Sampler.Create(request.Sampling, vocabSize);
        _constraint = request.Constraint;
        _masked = _constraint is null ? null : new float[vocabSize];
        _alternatives = new ScoredToken[Math.Min(request.Logprobs ?? 0, vocabSize)];
        _logprobs = request.Logprobs is not null ? [] : null;
        // At most one token per free cache slot, plus one sampled when the cache is already full.
        int maxCompletion = (int)Math.Min(request.MaxTokens, (long)contextLength - Prompt.Length + 1);
        _sequence = new int[Prompt.Length + maxCompletion];
        Prompt.CopyTo(_sequence, 0);
        _length = Prompt.Length;
        _text = new StreamedText(request.Stop);
    }

    /// <summary>The prompt's token ids: what the driver appends to the KV cache first.</summary>
    public int[] Prompt { get; }

    /// <summary>The token sampled by the last <see cref="Step"/> that returned true: the driver appends it next.</summary>
    public int LastToken => _sequence[_length - 1];

    /// <summary>
    /// Leading prompt tokens the driver found already in its KV cache and did not compute (reported as
    /// <see cref="GenerationUsage.CachedTokens"/>); the driver sets it before the first <see cref="Step"/>.
    /// </summary>
    public int CachedTokens
    {
        get;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(value, Prompt.Length);
            field = value;
        }
    }

    /// <summary>Whether the request lets the driver reuse a cached prefix of its prompt.</summary>
    public bool CachePrompt => _request.CachePrompt;

    /// <summary>Tokens generated so far (a final end-of-generation token excluded).</summary>
    public int CompletionTokens => _length - Prompt.Length;

    /// <summary>Set once generation has ended.</summary>
    public FinishReason? FinishReason { get; private set; }

    /// <summary>The seed of the random draw, or null for greedy decoding.</summary>
    public ulong? Seed => _sampler.Seed;

    /// <summary>
    /// True when the sequence will not sample anything (MaxTokens 0): the driver may finish it with
    /// <see cref="Finish"/> without computing the prompt.
    /// </summary>
    public bool WantsNoTokens => _request.MaxTokens == 0;

    /// <summary>
    /// Samples the next token from <paramref name="logits"/> (V; the logits of the last appended position; a
    /// constraint may overwrite a copy, never this span). Returns true when the driver must append
    /// <see cref="LastToken"/> and call again; false when generation has ended (the last chunk is emitted).
    /// </summary>
    public bool Step(ReadOnlySpan<float> logits)
    {
        if (FinishReason is not null) throw new InvalidOperationException("generation sequence: Step called after the sequence finished");
        if (_length - Prompt.Length >= _request.MaxTokens) return End(Generation.FinishReason.Length);

        int token = Sample(logits);
        if (_tokenizer.IsEndOfGeneration(token)) return End(Generation.FinishReason.Stop);

        _constraint?.Accept(token);
        _sequence[_length++] = token;
        bool stopped = _text.AppendToken(_tokenizer.TokenBytes(token));
        if (_emit is not null && _text.Length > _emittedChars)
        {
            _emit(new GenerationChunk(_text.Released(_emittedChars)) { Logprobs = Since(_emittedLogprobs) });
            _emittedChars = _text.Length;
            _emittedLogprobs = _logprobs?.Count ?? 0;
        }
        if (stopped) return End(Generation.FinishReason.Stop);
        if (_length - 1 >= _contextLength) return End(Generation.FinishReason.Length); // the cache cannot take this token
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
        int[] completion = _sequence[Prompt.Length.._length];
        return new GenerationResult(_text.ToString(), completion, finish, Prompt.Length, completion.Length, _logprobs)
        {
            MatchedStop = _text.MatchedStop,
            Seed = _sampler.Seed,
            CachedTokens = CachedTokens,
        };
    }

    private int Sample(ReadOnlySpan<float> logits)
    {
        ReadOnlySpan<int> history = _sequence.AsSpan(0, _length);
        if (_constraint is not null)
            _constraint.RemainingTokens = (int)Math.Min(_request.MaxTokens - (_length - Prompt.Length), (long)_contextLength - _length + 1);
        int token;
        float logprob = 0;
        if (_logprobs is null) token = _sampler.Sample(logits, history);
        else token = _sampler.Sample(logits, history, _alternatives, out logprob);

        if (_constraint is not null && !_constraint.Allows(token))
        {
            logits.CopyTo(_masked);
            _constraint.Mask(_masked);
            token = _sampler.Sample(_masked, history);
            if (_logprobs is not null) logprob = LogSoftmax.Of(logits, token, LogSoftmax.LogSumExp(logits));
        }
        if (_logprobs is not null && !_tokenizer.IsEndOfGeneration(token)) _logprobs.Add(Report(token, logprob));
        return token;
    }

    private bool End(FinishReason reason)
    {
        if (_text.End()) reason = Generation.FinishReason.Stop; // a stop string completed by the final flush
        FinishReason = reason;
        _emit?.Invoke(new GenerationChunk(_text.Released(_emittedChars))
        {
            Logprobs = Since(_emittedLogprobs),
            FinishReason = reason,
            Usage = new GenerationUsage(Prompt.Length, _length - Prompt.Length) { CachedTokens = CachedTokens },
            MatchedStop = _text.MatchedStop,
        });
        _emittedChars = _text.Length;
        _emittedLogprobs = _logprobs?.Count ?? 0;
        return false;
    }

    private TokenLogprob Report(int token, float logprob)
    {
        var top = new TopLogprob[_alternatives.Length];
        for (int i = 0; i < top.Length; i++) top[i] = new TopLogprob(_alternatives[i].Id, TextOf(_alternatives[i].Id), _alternatives[i].Logprob);
        return new TokenLogprob(token, TextOf(token), logprob, top);
    }

    private string TextOf(int token) => _tokenizer.Decode(new ReadOnlySpan<int>(in token));

    private IReadOnlyList<TokenLogprob>? Since(int start) =>
        _logprobs is null || _logprobs.Count == start ? null : _logprobs.GetRange(start, _logprobs.Count - start);

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
