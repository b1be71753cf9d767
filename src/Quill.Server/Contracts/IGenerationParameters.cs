// The sampling, stop and format fields that completions and chat completions share; GenerationParameters validates them.
using System.Text.Json;

namespace Quill.Server.Contracts;

/// <summary>Fields both generation endpoints accept with the same meaning (OpenAI's, plus llama.cpp's top_k and min_p).</summary>
internal interface IGenerationParameters
{
    string? Model { get; }
    double? Temperature { get; }
    double? TopP { get; }
    int? TopK { get; }
    double? MinP { get; }
    JsonElement? Stop { get; }
    long? Seed { get; }
    double? PresencePenalty { get; }
    double? FrequencyPenalty { get; }
    int? N { get; }
    bool? Stream { get; }
    StreamOptions? StreamOptions { get; }
    ResponseFormat? ResponseFormat { get; }

    /// <summary>llama.cpp's cache_prompt: false computes the whole prompt instead of reusing a slot's cached prefix.</summary>
    bool? CachePrompt { get; }
}
