// The continuous batcher on a real (synthetic) Llama model and on a scripted one: equal to Generator, queue, cancellation, errors.
using Quill.Generation;
using Quill.Serving;
using Quill.Tests.Generation;
using Quill.Tests.Models;

namespace Quill.Tests.Serving;

public sealed class ContinuousBatcherTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static GenerationRequest Sampled(string prompt, ulong seed, int maxTokens = 24) => new()
    {
        Prompt = prompt,
        MaxTokens = maxTokens,
        Sampling = new SamplingOptions { Temperature = 1.0f, TopK = 0, TopP = 1, MinP = 0, Seed = seed },
    };

    private static async Task<(string Text, GenerationChunk Last)> Collect(IAsyncEnumerable<GenerationChunk> stream)
    {
        var text = new System.Text.StringBuilder();
        GenerationChunk? last = null;
        await foreach (GenerationChunk chunk in stream)
        {
            text.Append(chunk.Text);
            last = chunk;
        }
        return (text.ToString(), last!);
    }

    [Fact]
    public async Task ConcurrentRequestsGiveWhatEachGivesAloneThroughGenerator()
    {
        using LanguageModel model = SyntheticModels.SmallLlama();
        var generator = new Generator(model.Model, model.Tokenizer);
        string[] prompts = ["once upon a time", "the quick brown fox", "a", "hello world, this is a longer prompt than the others", "x y z", "tokens"];
        GenerationRequest[] requests = [.. prompts.Select((p, i) => Sampled(p, seed: (ulong)(100 + i)))];
        GenerationResult[] alone = [.. requests.Select(r => generator.Generate(r with { ContextLength = 128 }))];

        using var batcher = new ContinuousBatcher(model.Model, model.Tokenizer, new BatcherOptions { Slots = 3, ContextLength = 128, QueueCapacity = 16 });
        GenerationResult[] together = await Task.WhenAll(requests.Select(r => batcher.GenerateAsync(r))).WaitAsync(Patience);
        var streamed = await Task.WhenAll(requests.Select(r => Collect(batcher.StreamAsync(r)))).WaitAsync(Patience);

        for (int i = 0; i < requests.Length; i++)
        {
            Assert.Equal(alone[i].Tokens, together[i].Tokens);
            Assert.Equal(alone[i].Text, together[i].Text);
            Assert.Equal(alone[i].FinishReason, together[i].FinishReason);
            Assert.Equal(alone[i].Text, streamed[i].Text);
            Assert.Equal(alone[i].FinishReason, streamed[i].Last.FinishReason);
            Assert.Equal((alone[i].PromptTokens, alone[i].CompletionTokens), (streamed[i].Last.Usage!.PromptTokens, streamed[i].Last.Usage!.CompletionTokens));
        }
        Assert.Equal(0, batcher.ActiveSequences);
        Assert.Equal(0, batcher.QueuedRequests);
        Assert.True(batcher.Steps > 0);
    }

    [Fact]
    public async Task LongPromptsAreSplitAcrossStepsWithinTheTokenBudget()
    {
        using LanguageModel model = SyntheticModels.SmallLlama();
        var request = Sampled(string.Join(' ', Enumerable.Repeat("word", 60)), seed: 5, maxTokens: 8);
        GenerationResult alone = new Generator(model.Model, model.Tokenizer).Generate(request with { ContextLength = 256 });
        using var batcher = new ContinuousBatcher(model.Model, model.Tokenizer, new BatcherOptions { Slots = 2, ContextLength = 256, MaxStepTokens = 16 });
        GenerationResult chunked = await batcher.GenerateAsync(request).WaitAsync(Patience);
        Assert.True(alone.PromptTokens > 16);
        Assert.Equal(alone.Tokens, chunked.Tokens);
    }

    [Fact]
    public async Task PromptLongerThanTheContextIsRefusedBeforeAnyChunk()
    {
        using LanguageModel model = SyntheticModels.SmallLlama();
        using var batcher = new ContinuousBatcher(model.Model, model.Tokenizer, new BatcherOptions { Slots = 1, ContextLength = 8 });
        var request = Sampled(string.Join(' ', Enumerable.Repeat("word", 40)), seed: 1);
        var e = await Assert.ThrowsAsync<PromptTooLongException>(() => batcher.GenerateAsync(request));
        Assert.Contains("must fit the context of 8 tokens", e.Message);
        Assert.Equal(8, e.ContextLength);
        await Assert.ThrowsAsync<PromptTooLongException>(() => Collect(batcher.StreamAsync(request)));
        Assert.Equal(0, batcher.ActiveSequences);
    }

    [Fact]
    public async Task ZeroMaxTokensFinishesWithLengthAndNoText()
    {
        using LanguageModel model = SyntheticModels.SmallLlama();
        using var batcher = new ContinuousBatcher(model.Model, model.Tokenizer, new BatcherOptions { Slots = 1, ContextLength = 64 });
        GenerationResult result = await batcher.GenerateAsync(Sampled("hi", 1, maxTokens: 0)).WaitAsync(Patience);
        Assert.Equal((FinishReason.Length, "", 0), (result.FinishReason, result.Text, result.CompletionTokens));
    }

    // A scripted model whose every forward pass takes one permit, so tests decide how far generation gets.
    private static (ScriptedModel Model, SemaphoreSlim Permits) Held()
    {
        ScriptedModel model = ScriptedModel.Spelling(258, 64, 3, ByteTokenizer.Ids("abcdefghijklmnopqrstuvwxyz"), 'z');
        var permits = new SemaphoreSlim(0);
        model.OnAppend = _ =>
        {
            if (!permits.Wait(Patience)) throw new TimeoutException("scripted model: no permit for a forward pass");
        };
        return (model, permits);
    }

    private const int Plenty = 10_000;

    private static GenerationRequest Scripted(int maxTokens = 40) =>
        new() { PromptTokens = [ByteTokenizer.Bos, 'H', 'i'], MaxTokens = maxTokens, Sampling = SamplingOptions.Greedy };

    [Fact]
    public async Task FullQueueRefusesTheNextRequest()
    {
        var (model, gate) = Held();
        using var batcher = new ContinuousBatcher(model, new ByteTokenizer(), new BatcherOptions { Slots = 1, QueueCapacity = 1, ContextLength = 64 });
        Task<GenerationResult> running = batcher.GenerateAsync(Scripted());
        await WaitUntil(() => batcher.ActiveSequences == 1);
        Task<GenerationResult> queued = batcher.GenerateAsync(Scripted());
        Assert.Equal(1, batcher.QueuedRequests);
        var e = await Assert.ThrowsAsync<QueueFullException>(() => batcher.GenerateAsync(Scripted()));
        Assert.Equal(1, e.Capacity);
        gate.Release(Plenty);
        GenerationResult[] done = await Task.WhenAll(running, queued).WaitAsync(Patience);
        Assert.All(done, r => Assert.Equal("abcdefghijklmnopqrstuvwxyzzzzzzzzzzzzzzz", r.Text));
    }

    [Fact]
    public async Task CancellingAStreamFreesItsSlotForTheNextRequest()
    {
        var (model, gate) = Held();
        using var batcher = new ContinuousBatcher(model, new ByteTokenizer(), new BatcherOptions { Slots = 1, QueueCapacity = 4, ContextLength = 64 });
        using var cts = new CancellationTokenSource();
        var chunks = new List<GenerationChunk>();
        gate.Release(3); // the prompt and two tokens
        await foreach (GenerationChunk chunk in batcher.StreamAsync(Scripted(maxTokens: 40), cts.Token))
        {
            chunks.Add(chunk);
            if (chunks.Count == 1)
            {
                cts.Cancel();
                gate.Release(Plenty);
            }
        }
        Assert.Equal(FinishReason.Cancelled, chunks[^1].FinishReason);
        Assert.True(chunks[^1].Usage!.CompletionTokens < 40);
        await WaitUntil(() => batcher.ActiveSequences == 0);
        GenerationResult next = await batcher.GenerateAsync(Scripted(maxTokens: 3)).WaitAsync(Patience);
        Assert.Equal("abc", next.Text);
    }

    [Fact]
    public async Task LeavingAStreamEarlyFreesItsSlot()
    {
        var (model, gate) = Held();
        gate.Release(3);
        using var batcher = new ContinuousBatcher(model, new ByteTokenizer(), new BatcherOptions { Slots = 1, ContextLength = 64 });
        await foreach (GenerationChunk chunk in batcher.StreamAsync(Scripted(maxTokens: 40)))
        {
            break;
        }
        // The batcher may already wait in a forward pass for a permit (a loaded machine lets it use all three before the
        // break lands), so hand out one pass at a time until the slot is free: far fewer than the 40 tokens it asked for.
        int granted = 0;
        var deadline = DateTime.UtcNow + Patience;
        while (batcher.ActiveSequences != 0)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the abandoned stream still holds its slot");
            gate.Release();
            granted++;
            await Task.Delay(5);
        }
        Assert.True(granted < 20, $"the abandoned stream ran {granted} more passes before freeing its slot");
        gate.Release(Plenty);
        Assert.Equal("ab", (await batcher.GenerateAsync(Scripted(maxTokens: 2)).WaitAsync(Patience)).Text);
    }

    [Fact]
    public async Task CancellationWhileQueuedEndsTheRequestWithoutRunningIt()
    {
        var (model, gate) = Held();
        using var batcher = new ContinuousBatcher(model, new ByteTokenizer(), new BatcherOptions { Slots = 1, ContextLength = 64 });
        Task<GenerationResult> running = batcher.GenerateAsync(Scripted());
        await WaitUntil(() => batcher.ActiveSequences == 1);
        using var cts = new CancellationTokenSource();
        Task<GenerationResult> queued = batcher.GenerateAsync(Scripted(), cts.Token);
        cts.Cancel();
        gate.Release(Plenty);
        GenerationResult cancelled = await queued.WaitAsync(Patience);
        Assert.Equal((FinishReason.Cancelled, 0), (cancelled.FinishReason, cancelled.CompletionTokens));
        Assert.Equal(FinishReason.Length, (await running.WaitAsync(Patience)).FinishReason);
    }

    [Fact]
    public async Task DisposeEndsQueuedAndRunningRequestsAsCancelled()
    {
        var (model, gate) = Held();
        var batcher = new ContinuousBatcher(model, new ByteTokenizer(), new BatcherOptions { Slots = 1, ContextLength = 64 });
        Task<GenerationResult> running = batcher.GenerateAsync(Scripted());
        await WaitUntil(() => batcher.ActiveSequences == 1);
        Task<GenerationResult> queued = batcher.GenerateAsync(Scripted());
        Task disposing = Task.Run(batcher.Dispose);
        while (!disposing.IsCompleted) // one forward pass at a time until the scheduler sees the disposal
        {
            gate.Release(1);
            await Task.Delay(10);
        }
        await disposing.WaitAsync(Patience);
        Assert.Equal(FinishReason.Cancelled, (await running.WaitAsync(Patience)).FinishReason);
        Assert.Equal(FinishReason.Cancelled, (await queued.WaitAsync(Patience)).FinishReason);
        Assert.Throws<ObjectDisposedException>(() => batcher.GenerateAsync(Scripted()).GetAwaiter().GetResult());
    }

    [Theory]
    [InlineData(0, 4, 256)]
    [InlineData(1, -1, 256)]
    [InlineData(1, 4, 0)]
    public void BadOptionsAreRefused(int slots, int queue, int stepTokens)
    {
        var model = ScriptedModel.Spelling(258, 64, 3, ByteTokenizer.Ids("a"), ByteTokenizer.Eos);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ContinuousBatcher(model, new ByteTokenizer(),
            new BatcherOptions { Slots = slots, QueueCapacity = queue, MaxStepTokens = stepTokens }));
        Assert.StartsWith("batcher: ", e.Message);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not reached");
            await Task.Delay(5);
        }
    }
}
