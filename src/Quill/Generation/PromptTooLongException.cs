// A generation request whose prompt does not fit the context (OpenAI's context_length_exceeded).
namespace Quill.Generation;

/// <summary>The prompt has more tokens than the KV cache holds, so nothing can be generated.</summary>
public sealed class PromptTooLongException(int promptTokens, int contextLength)
    : ArgumentException($"generation request: the prompt must fit the context of {contextLength} tokens, found {promptTokens} tokens")
{
    /// <summary>Tokens in the prompt.</summary>
    public int PromptTokens { get; } = promptTokens;

    /// <summary>Tokens the context holds.</summary>
    public int ContextLength { get; } = contextLength;
}
