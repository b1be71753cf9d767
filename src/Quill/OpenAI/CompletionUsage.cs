// OpenAI's `usage` object of a completion or chat completion: prompt, completion and total tokens, and the prompt tokens served from a cache.
namespace Quill.OpenAI;

public sealed record CompletionUsage(int PromptTokens, int CompletionTokens)
{
    public int TotalTokens => PromptTokens + CompletionTokens;

    /// <summary>prompt_tokens_details: cached_tokens, always present (0 for a cold prompt) as OpenAI sends it.</summary>
    public PromptTokensDetails PromptTokensDetails { get; init; } = PromptTokensDetails.None;
}

/// <summary>OpenAI's breakdown of the prompt tokens: how many were reused from a cache instead of computed.</summary>
public sealed record PromptTokensDetails(int CachedTokens)
{
    /// <summary>Nothing cached.</summary>
    public static readonly PromptTokensDetails None = new(0);
}
