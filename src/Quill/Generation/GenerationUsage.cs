// Token counts of one generation (OpenAI's usage object).
namespace Quill.Generation;

/// <summary>Token counts of a generation (OpenAI usage).</summary>
public sealed record GenerationUsage(int PromptTokens, int CompletionTokens)
{
    /// <summary>Prompt plus completion.</summary>
    public int TotalTokens => PromptTokens + CompletionTokens;

    /// <summary>
    /// Prompt tokens whose keys and values were kept from an earlier generation and not computed again (OpenAI's
    /// prompt_tokens_details.cached_tokens); the prompt cost only <see cref="PromptTokens"/> minus these.
    /// </summary>
    public int CachedTokens { get; init; }
}
