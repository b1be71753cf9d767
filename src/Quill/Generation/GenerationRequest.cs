// What to generate: prompt, limits, sampling, stops, logprobs.
namespace Quill.Generation;

/// <summary>One completion request. Give exactly one of <see cref="Prompt"/> and <see cref="PromptTokens"/>.</summary>
public sealed record GenerationRequest
{
    /// <summary>The prompt text, encoded with <see cref="AddSpecial"/> and <see cref="ParseSpecial"/>.</summary>
    public string? Prompt { get; init; }

    /// <summary>The prompt as token ids, used as given.</summary>
    public int[]? PromptTokens { get; init; }

    /// <summary>The most tokens to generate (OpenAI max_tokens).</summary>
    public int MaxTokens { get; init; } = 128;

    /// <summary>How each token is picked.</summary>
    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>Strings that end generation; the text is cut before the first one found.</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary>Let the tokenizer add BOS/EOS to <see cref="Prompt"/> where its vocabulary says so.</summary>
    public bool AddSpecial { get; init; } = true;

    /// <summary>Turn special-token strings inside <see cref="Prompt"/> into their ids.</summary>
    public bool ParseSpecial { get; init; }

    /// <summary>
    /// How many most likely alternatives to report per generated token beside its own log-probability (OpenAI
    /// top_logprobs); 0 reports the token's own only; null reports none.
    /// </summary>
    public int? Logprobs { get; init; }

    /// <summary>Restricts the output (JSON, a JSON Schema); stateful, so one instance per request. Null leaves it free.</summary>
    public Constraints.ITokenConstraint? Constraint { get; init; }

    /// <summary>KV cache size in tokens (prompt plus completion); null uses the model's training context length.</summary>
    public int? ContextLength { get; init; }

    /// <summary>
    /// Let a driver that keeps KV caches between requests (ContinuousBatcher, a PromptCache) reuse the longest prefix
    /// it holds of this prompt (llama.cpp's cache_prompt); false computes the whole prompt. The output is the same.
    /// </summary>
    public bool CachePrompt { get; init; } = true;
}
