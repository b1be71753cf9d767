// The JSON of POST /v1/completions requests (legacy text completions); validated by GenerationParameters, answered in Quill.OpenAI's shapes.
using System.Text.Json;

namespace Quill.Server.Contracts;

/// <summary>A text completion request; prompt is a string, a list of strings, a token list or a list of token lists.</summary>
internal sealed class CompletionRequest : IGenerationParameters
{
    public string? Model { get; set; }
    public JsonElement? Prompt { get; set; }
    public int? MaxTokens { get; set; }
    public double? Temperature { get; set; }
    public double? TopP { get; set; }
    public int? TopK { get; set; }
    public double? MinP { get; set; }
    public JsonElement? Stop { get; set; }
    public long? Seed { get; set; }
    public double? PresencePenalty { get; set; }
    public double? FrequencyPenalty { get; set; }
    public int? Logprobs { get; set; }
    public int? N { get; set; }
    public int? BestOf { get; set; }
    public bool? Echo { get; set; }
    public string? Suffix { get; set; }
    public bool? Stream { get; set; }
    public StreamOptions? StreamOptions { get; set; }
    public ResponseFormat? ResponseFormat { get; set; }
    public bool? CachePrompt { get; set; }
}
