// One sequence of a Llama-family decoder: its position and chunking over a one-slot LlamaForward.
namespace Quill.Models.Llama;

/// <summary>
/// Runs tokens through the model in chunks of up to <see cref="MaxBatch"/> (prompt processing is matrix-matrix),
/// keeping keys and values of every position in a cache (L, ctx, Hkv·D) of the model's
/// <see cref="LlamaModel.KvCacheType"/>. Nothing is allocated per token.
/// </summary>
public sealed unsafe class LlamaState : ChunkedInferenceState
{
    public const int MaxBatch = 256;
    private readonly LlamaForward _forward;

    public LlamaState(LlamaModel model, int contextLength) : base(contextLength, MaxBatch, model.Config.VocabSize) =>
        _forward = new LlamaForward(model, slots: 1, contextLength, BatchSize, model.KvCacheType);

    /// <summary>Runs T ≤ B tokens through every layer, leaving the final hidden states (T, C) for <see cref="Logits"/>.</summary>
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
        new($"the context is full: {start} + {tokens} tokens exceed the {ContextLength}-token KV cache");

    public override long KvCacheBytes => _forward.KvCacheBytes;

    public override void Dispose() => _forward.Dispose();
}
