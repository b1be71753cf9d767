// The JSON of POST /v1/completions (OpenAI's legacy text completions: request, response, stream chunks); not validation.
using System.Text.Json;
using System.Text.Json.Serialization;

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
}

/// <summary>A whole response, or one stream chunk (the same object, with a piece of text per choice).</summary>
internal sealed record TextCompletion(string Id, long Created, string Model, List<TextChoice> Choices)
{
    public string Object => "text_completion";
    public string? SystemFingerprint => null;

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Usage? Usage { get; init; }
}

internal sealed record TextChoice(string Text, int Index, TextLogprobs? Logprobs, string? FinishReason);

/// <summary>Legacy logprobs: parallel lists per generated token.</summary>
internal sealed record TextLogprobs(List<string> Tokens, List<float> TokenLogprobs, List<Dictionary<string, float>> TopLogprobs, List<int> TextOffset);
