// The OpenAI `text_completion` object (legacy Completions API), as the CLI's --json and the server return it.
using System.Text.Json.Serialization;

namespace Quill.OpenAI;

public sealed record TextCompletion(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("choices")] IReadOnlyList<TextCompletionChoice> Choices,
    [property: JsonPropertyName("usage")] CompletionUsage Usage)
{
    public const string ObjectName = "text_completion";

    /// <summary>A completion with a fresh id ("cmpl-…") and the current time.</summary>
    public static TextCompletion Create(string model, IReadOnlyList<TextCompletionChoice> choices, CompletionUsage usage) =>
        new($"cmpl-{Guid.NewGuid():N}"[..29], ObjectName, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), model, choices, usage);
}

public sealed record TextCompletionChoice(
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("logprobs")] CompletionLogprobs? Logprobs,
    [property: JsonPropertyName("finish_reason")] string FinishReason);

/// <summary>Legacy-completions logprobs: parallel arrays per generated token.</summary>
public sealed record CompletionLogprobs(
    [property: JsonPropertyName("tokens")] IReadOnlyList<string> Tokens,
    [property: JsonPropertyName("token_logprobs")] IReadOnlyList<float> TokenLogprobs,
    [property: JsonPropertyName("top_logprobs")] IReadOnlyList<IReadOnlyDictionary<string, float>>? TopLogprobs,
    [property: JsonPropertyName("text_offset")] IReadOnlyList<int> TextOffset);

public sealed record CompletionUsage(
    [property: JsonPropertyName("prompt_tokens")] int PromptTokens,
    [property: JsonPropertyName("completion_tokens")] int CompletionTokens,
    [property: JsonPropertyName("total_tokens")] int TotalTokens);
