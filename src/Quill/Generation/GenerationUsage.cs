// Token counts of one generation (OpenAI's usage object).
namespace Quill.Generation;

/// <summary>Token counts of a generation (OpenAI usage).</summary>
public sealed record GenerationUsage(int PromptTokens, int CompletionTokens)
{
    /// <summary>Prompt plus completion.</summary>
    public int TotalTokens => PromptTokens + CompletionTokens;
}
