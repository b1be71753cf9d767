// The JSON of POST /v1/chat/completions requests as OpenAI spells them; validated by GenerationParameters, answered in Quill.OpenAI's shapes.
using System.Text.Json;

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
    public bool? CachePrompt { get; set; }
    public JsonElement? Tools { get; set; }
    public JsonElement? ToolChoice { get; set; }
    public bool? ParallelToolCalls { get; set; }
}

/// <summary>One message; content is a string or a list of {type: "text", text} parts (null for an assistant message with tool_calls).</summary>
internal sealed class ChatMessageIn
{
    public string? Role { get; set; }
    public JsonElement? Content { get; set; }
    public string? Name { get; set; }
    public JsonElement? ToolCalls { get; set; }
    public string? ToolCallId { get; set; }
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
