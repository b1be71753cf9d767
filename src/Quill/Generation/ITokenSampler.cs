// One stage of the sampler chain (llama.cpp's llama_sampler_i.apply); not the chain, which is Sampler.
namespace Quill.Generation;

/// <summary>
/// A stage that works on the candidates in place: removes some, rescales logits, or (a terminal stage) sets
/// <see cref="TokenCandidates.Selected"/>. Stages hold no per-token allocations.
/// </summary>
public interface ITokenSampler
{
    /// <summary>
    /// Applies this stage. <paramref name="history"/> is every token of the sequence so far, prompt included,
    /// oldest first; only the penalty stage reads it.
    /// </summary>
    void Apply(TokenCandidates candidates, ReadOnlySpan<int> history);
}
