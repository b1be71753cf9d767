// One sequence of GPT-2: its position and chunking over a one-slot Gpt2Forward.
namespace Quill.Models.Gpt2;

/// <summary>
/// Runs tokens through the model in chunks of up to <see cref="MaxBatch"/>, keeping keys and values of every position in
/// a cache (L, ctx, Hkv·D) of the model's <see cref="Gpt2Model.KvCacheType"/>. The capacity is capped at the model's
/// learned positions. Nothing is allocated per token.
/// </summary>
public sealed unsafe class Gpt2State : ChunkedInferenceState
{
    public const int MaxBatch = 256;
    private readonly Gpt2Forward _forward;
    private readonly int _learnedPositions, _dim;

    public Gpt2State(Gpt2Model model, int contextLength)
        : base(contextLength <= 0 ? contextLength : Math.Min(contextLength, model.Config.ContextLength), MaxBatch, model.Config.VocabSize)
    {
        _learnedPositions = model.Config.ContextLength;
        _dim = model.Config.Dim;
        _forward = new Gpt2Forward(model, slots: 1, ContextLength, BatchSize, model.KvCacheType);
    }

    /// <summary>
    /// Appends tokens and writes the last hidden state of every one (after ln_f, before the output head) into
    /// <paramref name="hidden"/> (T, C): the features transformers' GPT2Model returns as last_hidden_state.
    /// </summary>
    public void AppendHidden(ReadOnlySpan<int> tokens, Span<float> hidden)
    {
        int dim = _dim;
        if (hidden.Length < (long)tokens.Length * dim) throw new ArgumentException("hidden-state buffer is smaller than T × C");
        for (int i = 0; i < tokens.Length; i += BatchSize)
        {
            int n = Math.Min(BatchSize, tokens.Length - i);
            Forward(tokens.Slice(i, n));
            for (int r = 0; r < n; r++) _forward.Hidden(r, hidden.Slice((i + r) * dim, dim));
        }
    }

    /// <summary>Runs T ≤ B tokens through every layer, leaving the residual stream (T, C) for <see cref="Logits"/>.</summary>
    protected override void Forward(ReadOnlySpan<int> tokens)
    {
        int t = tokens.Length, start = Position;
        if (start + t > ContextLength) throw ContextFull(start, t);
        _forward.CheckTokens(tokens);
        var sequence = new BatchSequence(0, 0, t);
        _forward.Run(new ReadOnlySpan<BatchSequence>(in sequence), tokens, new ReadOnlySpan<int>(in start));
        Position = start + t;
    }

    /// <summary>Final norm and output head for rows [first, first + count) of the last chunk, into logits (count, V).</summary>
    protected override void Logits(int first, int count, float* logits) => _forward.Logits(first, count, logits);

    private InvalidOperationException ContextFull(int start, int tokens) =>
        new($"the context is full: {start} + {tokens} tokens exceed the {ContextLength}-token KV cache (the model has {_learnedPositions} learned positions)");

    public override long KvCacheBytes => _forward.KvCacheBytes;

    public override void Dispose() => _forward.Dispose();
}
