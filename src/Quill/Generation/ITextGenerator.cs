// What the OpenAI endpoints and the Microsoft.Extensions.AI clients need from a generation engine.
using Quill.Tokenizers;

namespace Quill.Generation;

/// <summary>
/// Runs <see cref="GenerationRequest"/>s: <see cref="Generator"/> gives each call its own KV cache,
/// <c>ContinuousBatcher</c> decodes concurrent calls together in one batched forward pass per step.
/// </summary>
public interface ITextGenerator
{
    /// <summary>The tokenizer prompts are encoded with and tokens decoded by.</summary>
    ITokenizer Tokenizer { get; }

    /// <summary>The most tokens (prompt plus completion) one request may hold.</summary>
    int ContextLength { get; }

    /// <summary>Generates the whole completion; cancellation ends it with <see cref="FinishReason.Cancelled"/>.</summary>
    Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken ct = default);

    /// <summary>Streams the completion as safe-to-show chunks, the last one carrying the finish reason and usage.</summary>
    IAsyncEnumerable<GenerationChunk> StreamAsync(GenerationRequest request, CancellationToken ct = default);
}
