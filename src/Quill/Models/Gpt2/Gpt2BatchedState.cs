// Many GPT-2 sequences in one forward pass per step (continuous batching); the checks and slot positions are
// BatchedInferenceState's, the layer loop Gpt2Forward's.
namespace Quill.Models.Gpt2;

/// <summary>
/// A <see cref="BatchedInferenceState"/> over a many-slot <see cref="Gpt2Forward"/>: every token of a step shares each
/// matmul. Each slot's capacity is capped at the model's learned positions; keys and values live in a cache
/// (L, slots, ctx, Hkv·D) of the model's <see cref="Gpt2Model.KvCacheType"/>.
/// </summary>
public sealed unsafe class Gpt2BatchedState : BatchedInferenceState
{
    private readonly Gpt2Forward _forward;

    public Gpt2BatchedState(Gpt2Model model, int slots, int contextLength)
        : base(slots, Math.Min(contextLength, (model ?? throw new ArgumentNullException(nameof(model))).Config.ContextLength), Gpt2State.MaxBatch,
            model.Config.VocabSize) =>
        _forward = new Gpt2Forward(model, slots, ContextLength, MaxStepTokens, model.KvCacheType);

    protected override void Forward(ReadOnlySpan<BatchSequence> sequences, ReadOnlySpan<int> tokens, ReadOnlySpan<int> starts) =>
        _forward.Run(sequences, tokens, starts);

    protected override void LastTokenLogits(float* logits) => _forward.LastTokenLogits(logits);

    public override long KvCacheBytes => _forward.KvCacheBytes;

    public override void Dispose() => _forward.Dispose();
}
