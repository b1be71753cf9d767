// The JSON of POST /v1/chat/completions (request, response, stream chunks) as OpenAI spells it; not validation.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Quill.Server.Contracts;

/// <summary>A chat completion request. Polymorphic fields stay <see cref="JsonElement"/>s and are read by the endpoint.</summary>
internal sealed class ChatCompletionRequest : IGenerationParameters
{
    public string? Model { get; set; }
    public List<ChatMessageIn>? Messages { get; set; }
    public int? MaxTokens { get; set; }
    public int? MaxCompletionTokens { get; set; }
    public double? Temperature { get; set; }
    public double? TopP { get; set; }
    public int? TopK { get; set; }
    public double? MinP { get; set; }
    public JsonElement? Stop { get; set; }
    public long? Seed { get; set; }
    public double? PresencePenalty { get; set; }
    public double? FrequencyPenalty { get; set; }
    public bool? Logprobs { get; set; }
    public int? TopLogprobs { get; set; }
    public int? N { get; set; }
    public bool? Stream { get; set; }
    public StreamOptions? StreamOptions { get; set; }
    public ResponseFormat? ResponseFormat { get; set; }
}

/// <summary>One message; content is a string or a list of {type: "text", text} parts.</summary>
internal sealed class ChatMessageIn
{
    public string? Role { get; set; }
    public JsonElement? Content { get; set; }
    public string? Name { get; set; }
}

internal sealed class StreamOptions
{
    public bool? IncludeUsage { get; set; }
}

/// <summary>{"type": "text" | "json_object" | "json_schema", "json_schema": {...}}.</summary>
internal sealed class ResponseFormat
{
    public string? Type { get; set; }
    public JsonSchemaFormat? JsonSchema { get; set; }
}

internal sealed class JsonSchemaFormat
{
    public string? Name { get; set; }
    public string? Description { get; set; }
    public JsonElement? Schema { get; set; }
    public bool? Strict { get; set; }
}

internal sealed record ChatCompletion(string Id, long Created, string Model, List<ChatChoice> Choices, Usage Usage)
{
    public string Object => "chat.completion";
    public string? SystemFingerprint => null;
}

internal sealed record ChatChoice(int Index, AssistantMessage Message, ChatLogprobs? Logprobs, string FinishReason);

internal sealed record AssistantMessage(string Content)
{
    public string Role => "assistant";
    public string? Refusal => null;
}

internal sealed record ChatCompletionChunk(string Id, long Created, string Model, List<ChatChunkChoice> Choices)
{
    public string Object => "chat.completion.chunk";
    public string? SystemFingerprint => null;

    /// <summary>Only on the extra last chunk asked for with stream_options.include_usage.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Usage? Usage { get; init; }
}

internal sealed record ChatChunkChoice(int Index, ChatDelta Delta, ChatLogprobs? Logprobs, string? FinishReason);

/// <summary>The role on a choice's first chunk, then content pieces.</summary>
internal sealed record ChatDelta
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Role { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Content { get; init; }
}

internal sealed record ChatLogprobs(List<ChatTokenLogprob> Content)
{
    public string? Refusal => null;
}

internal sealed record ChatTokenLogprob(string Token, float Logprob, int[] Bytes, List<ChatTopLogprob> TopLogprobs);

internal sealed record ChatTopLogprob(string Token, float Logprob, int[] Bytes);
