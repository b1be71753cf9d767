// The outcome of a whole (non-streamed) generation.
namespace Quill.Generation;

/// <summary>
/// The generated text (cut before a stop string, if one hit) and the tokens behind it. <see cref="Tokens"/> holds
/// every token sampled except an end-of-generation token, including those that spelled a stop string;
/// <see cref="CompletionTokens"/> is its length.
/// </summary>
public sealed record GenerationResult(
    string Text,
    int[] Tokens,
    FinishReason FinishReason,
    int PromptTokens,
    int CompletionTokens,
    IReadOnlyList<TokenLogprob>? Logprobs)
{
    /// <summary>The stop string that ended the text, or null.</summary>
    public string? MatchedStop { get; init; }

    /// <summary>The seed the draw used (pass it back to repeat the run), or null for greedy decoding.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Prompt tokens reused from a cache rather than computed (OpenAI's cached_tokens); 0 for a cold prompt.</summary>
    public int CachedTokens { get; init; }
}
