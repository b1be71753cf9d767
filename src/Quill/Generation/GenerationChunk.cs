// One piece of a streamed generation.
namespace Quill.Generation;

/// <summary>
/// A piece of streamed text, safe to show: whole characters only, nothing that might be the start of a stop string.
/// The last chunk has <see cref="FinishReason"/> and <see cref="Usage"/> set (its text may be empty, or the
/// held-back tail released at the end). Concatenating every chunk's text gives <see cref="GenerationResult.Text"/>.
/// </summary>
public sealed record GenerationChunk(string Text)
{
    /// <summary>Logprobs of the tokens sampled since the previous chunk (when requested), or null.</summary>
    public IReadOnlyList<TokenLogprob>? Logprobs { get; init; }

    /// <summary>Set on the last chunk only.</summary>
    public FinishReason? FinishReason { get; init; }

    /// <summary>Set on the last chunk only.</summary>
    public GenerationUsage? Usage { get; init; }

    /// <summary>On the last chunk: the stop string that ended the text, or null.</summary>
    public string? MatchedStop { get; init; }
}
