// Many sequences of a Llama-family decoder in one forward pass per step (continuous batching); the checks and slot
// positions are BatchedInferenceState's, the layer loop LlamaForward's.
namespace Quill.Models.Llama;

/// <summary>
/// A <see cref="BatchedInferenceState"/> over a many-slot <see cref="LlamaForward"/>: every token of a step, whichever
/// sequence it belongs to, shares each matmul, so sixteen decoding sequences read the weights once per step instead
/// of sixteen times. Keys and values live in a cache (L, slots, ctx, Hkv·D) of the model's
/// <see cref="LlamaModel.KvCacheType"/>.
/// </summary>
public sealed unsafe class LlamaBatchedState : BatchedInferenceState
{
    private readonly LlamaForward _forward;

    public LlamaBatchedState(LlamaModel model, int slots, int contextLength)
        : base(slots, contextLength, LlamaState.MaxBatch, (model ?? throw new ArgumentNullException(nameof(model))).Config.VocabSize) =>
        _forward = new LlamaForward(model, slots, contextLength, MaxStepTokens, model.KvCacheType);

    protected override void Forward(ReadOnlySpan<BatchSequence> sequences, ReadOnlySpan<int> tokens, ReadOnlySpan<int> starts) =>
        _forward.Run(sequences, tokens, starts);

    protected override void LastTokenLogits(float* logits) => _forward.LastTokenLogits(logits);

    public override long KvCacheBytes => _forward.KvCacheBytes;

    public override void Dispose() => _forward.Dispose();
}
