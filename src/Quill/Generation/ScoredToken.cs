// A token id with its log-probability, as the sampler reports it; no text (the generator adds that).
namespace Quill.Generation;

/// <summary>A token and its natural-log probability under the model's raw distribution.</summary>
public readonly record struct ScoredToken(int Id, float Logprob);
