// Servers with the prompt-injection guard on: one blocking with canaries over a model that repeats its prompt, one flagging; not tests.
using Quill.Generation;
using Quill.Server.Guard;

namespace Quill.Server.Tests.Guard;

/// <summary>
/// --guard block --guard-canary, and a generator that streams its own prompt back in 5-character chunks: the worst model
/// a prompt-leak attack could meet, so that every chat answer leaks the canary the server put in the system prompt.
/// </summary>
public sealed class BlockingGuardFixture : ServerFixture
{
    protected override ServerOptions Options(string modelPath) => base.Options(modelPath) with
    {
        Guard = GuardMode.Block,
        GuardCanary = true,
        WrapGenerator = inner => new PromptEchoGenerator(inner),
    };
}

/// <summary>--guard flag: injections are served, scored and counted.</summary>
public sealed class FlaggingGuardFixture : ServerFixture
{
    protected override ServerOptions Options(string modelPath) => base.Options(modelPath) with { Guard = GuardMode.Flag };
}

/// <summary>Streams the decoded prompt (what the chat template rendered, system prompt included) as the completion.</summary>
internal sealed class PromptEchoGenerator(ITextGenerator inner) : ITextGenerator
{
    public Quill.Tokenizers.ITokenizer Tokenizer => inner.Tokenizer;

    public int ContextLength => inner.ContextLength;

    public Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken ct = default) => inner.GenerateAsync(request, ct);

    public async IAsyncEnumerable<GenerationChunk> StreamAsync(GenerationRequest request,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        string text = request.Prompt ?? Tokenizer.Decode(request.PromptTokens ?? []);
        int pieces = 0;
        for (int i = 0; i < text.Length; i += 5, pieces++)
        {
            ct.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return new GenerationChunk(text.Substring(i, Math.Min(5, text.Length - i)));
        }
        yield return new GenerationChunk("") { FinishReason = FinishReason.Stop, Usage = new GenerationUsage(0, pieces) };
    }
}

[CollectionDefinition(Name)]
public sealed class BlockingGuardCollection : ICollectionFixture<BlockingGuardFixture>
{
    public const string Name = "guard block";
}

[CollectionDefinition(Name)]
public sealed class FlaggingGuardCollection : ICollectionFixture<FlaggingGuardFixture>
{
    public const string Name = "guard flag";
}
