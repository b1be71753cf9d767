// OpenAI's `usage` object of a completion or chat completion: prompt, completion and total tokens.
namespace Quill.OpenAI;

public sealed record CompletionUsage(int PromptTokens, int CompletionTokens)
{
    public int TotalTokens => PromptTokens + CompletionTokens;
}
