// Test double: an ITextGenerator that records each request and answers with scripted chunks; not a model.
using System.Runtime.CompilerServices;
using Quill.Generation;
using Quill.Tests.Generation;
using Quill.Tokenizers;

namespace Quill.Tests.AI;

/// <summary>Answers every request with <see cref="Chunks"/> (streamed) or their concatenation (whole), ending with <see cref="Finish"/>.</summary>
internal sealed class RecordingTextGenerator : ITextGenerator
{
    public ITokenizer Tokenizer { get; } = new ByteTokenizer();

    public int ContextLength => 256;

    public string[] Chunks { get; init; } = ["Hel", "lo"];

    public FinishReason Finish { get; init; } = FinishReason.Stop;

    public int PromptTokens { get; init; } = 7;

    public List<GenerationRequest> Requests { get; } = [];

    public Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken ct = default)
    {
        Requests.Add(request);
        string text = string.Concat(Chunks);
        return Task.FromResult(new GenerationResult(text, [], Finish, PromptTokens, Chunks.Length, null));
    }

    public async IAsyncEnumerable<GenerationChunk> StreamAsync(GenerationRequest request, [EnumeratorCancellation] CancellationToken ct = default)
    {
        Requests.Add(request);
        await Task.Yield();
        foreach (string chunk in Chunks) yield return new GenerationChunk(chunk);
        yield return new GenerationChunk("") { FinishReason = Finish, Usage = new GenerationUsage(PromptTokens, Chunks.Length) };
    }
}
