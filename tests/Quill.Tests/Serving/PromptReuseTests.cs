// Prompt-prefix reuse: a slot's (or a PromptCache's) kept KV gives the same tokens and logprobs as a cold run, reports cached tokens, routes by prefix.
using Quill.Generation;
using Quill.Serving;
using Quill.Tests.Models;

namespace Quill.Tests.Serving;

public sealed class PromptReuseTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>A prompt of <paramref name="length"/> token ids from <paramref name="seed"/>, none of them BOS/EOS-like (ids 10 and up).</summary>
    private static int[] Tokens(int length, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => random.Next(10, 500))];
    }

    private static GenerationRequest Seeded(int[] prompt, ulong seed = 11, int maxTokens = 12) => new()
    {
        PromptTokens = prompt,
        MaxTokens = maxTokens,
        Logprobs = 3,
        Sampling = new SamplingOptions { Temperature = 1.0f, TopK = 0, TopP = 1, MinP = 0, Seed = seed },
    };

    private static GenerationRequest Greedy(int[] prompt, int maxTokens = 12) => new()
    {
        PromptTokens = prompt, MaxTokens = maxTokens, Logprobs = 2, Sampling = SamplingOptions.Greedy,
    };

    /// <summary>Same text, tokens, finish and bit-identical logprobs (top alternatives included).</summary>
    private static void AssertSameOutput(GenerationResult expected, GenerationResult actual)
    {
        Assert.Equal(expected.Tokens, actual.Tokens);
        Assert.Equal(expected.Text, actual.Text);
        Assert.Equal(expected.FinishReason, actual.FinishReason);
        Assert.Equal(Flatten(expected.Logprobs!), Flatten(actual.Logprobs!));
    }

    private static List<(int, int)> Flatten(IReadOnlyList<TokenLogprob> logprobs) =>
        [.. logprobs.SelectMany(l => l.TopLogprobs.Select(t => (t.Token, BitConverter.SingleToInt32Bits(t.Logprob)))
            .Prepend((l.Token, BitConverter.SingleToInt32Bits(l.Logprob))))];

    [Fact]
    public async Task TheSameRequestTwiceReusesTheWholePromptAndGivesTheSameOutput()
    {
        using LanguageModel model = SyntheticModels.SmallLlama();
        int[] prompt = Tokens(90, seed: 1);
        GenerationResult cold = new Generator(model.Model, model.Tokenizer).Generate(Seeded(prompt) with { ContextLength = 256 });
        using var batcher = new ContinuousBatcher(model.Model, model.Tokenizer, new BatcherOptions { Slots = 1, ContextLength = 256, MaxStepTokens = 32 });
        foreach (GenerationRequest request in new[] { Seeded(prompt), Greedy(prompt) })
        {
            GenerationResult reference = new Generator(model.Model, model.Tokenizer).Generate(request with { ContextLength = 256 });
            GenerationResult first = await batcher.GenerateAsync(request).WaitAsync(Patience);
            GenerationResult second = await batcher.GenerateAsync(request).WaitAsync(Patience);
            AssertSameOutput(reference, first);
            AssertSameOutput(reference, second);
            Assert.Equal(prompt.Length - 1, second.CachedTokens); // the last prompt token is computed again for its logits
        }
        Assert.Equal(0, cold.CachedTokens);
    }

    [Fact]
    public async Task APromptSharingPartOfTheCachedOnesComputesOnlyTheRest()
    {
        using LanguageModel model = SyntheticModels.SmallLlama();
        int[] shared = Tokens(40, seed: 2);
        int[] first = [.. shared, .. Tokens(30, seed: 3)];
        int[] second = [.. shared, .. Tokens(25, seed: 4)];
        Assert.NotEqual(first[shared.Length], second[shared.Length]);
        var generator = new Generator(model.Model, model.Tokenizer);
        using var batcher = new ContinuousBatcher(model.Model, model.Tokenizer, new BatcherOptions { Slots = 1, ContextLength = 256, MaxStepTokens = 16 });

        GenerationResult a = await batcher.GenerateAsync(Seeded(first)).WaitAsync(Patience);
        GenerationResult b = await batcher.GenerateAsync(Seeded(second, seed: 12)).WaitAsync(Patience);
        Assert.Equal(0, a.CachedTokens);
        Assert.Equal(shared.Length, b.CachedTokens);
        AssertSameOutput(generator.Generate(Seeded(second, seed: 12) with { ContextLength = 256 }), b);

        // A follow-up that continues the first prompt and its completion (a chat's next turn) keeps all of it: a generation
        // that ends at max_tokens has fed every sampled token back.
        GenerationResult c0 = await batcher.GenerateAsync(Greedy(first)).WaitAsync(Patience);
        int[] next = [.. first, .. c0.Tokens, .. Tokens(10, seed: 5)];
        GenerationResult c1 = await batcher.GenerateAsync(Greedy(next)).WaitAsync(Patience);
        Assert.Equal(FinishReason.Length, c0.FinishReason);
        Assert.Equal(first.Length + c0.Tokens.Length, c1.CachedTokens);
        AssertSameOutput(generator.Generate(Greedy(next) with { ContextLength = 256 }), c1);
    }

    [Fact]
    public async Task ARequestGoesToTheSlotHoldingItsLongestPrefix()
    {
        using LanguageModel model = SyntheticModels.SmallLlama();
        int[][] prompts = [Tokens(30, seed: 20), Tokens(30, seed: 21), Tokens(30, seed: 22)];
        var generator = new Generator(model.Model, model.Tokenizer);
        using var batcher = new ContinuousBatcher(model.Model, model.Tokenizer, new BatcherOptions { Slots = 3, ContextLength = 128 });
        foreach (int[] prompt in prompts)
            Assert.Equal(0, (await batcher.GenerateAsync(Greedy(prompt, maxTokens: 4)).WaitAsync(Patience)).CachedTokens);

        // Each prompt went to a slot of its own (least recently used), so each extension finds its own prefix.
        for (int i = prompts.Length - 1; i >= 0; i--)
        {
            int[] longer = [.. prompts[i][..20], .. Tokens(15, seed: 30 + i)];
            GenerationResult result = await batcher.GenerateAsync(Greedy(longer)).WaitAsync(Patience);
            Assert.Equal(20, result.CachedTokens);
            AssertSameOutput(generator.Generate(Greedy(longer) with { ContextLength = 128 }), result);
        }

        // Requests in flight together still each find their own slot, and decode as they would alone.
        GenerationRequest[] together = [.. prompts.Select((p, i) => Seeded([.. p[..25], .. Tokens(5, seed: 40 + i)], seed: (ulong)i))];
        GenerationResult[] results = await Task.WhenAll(together.Select(r => batcher.GenerateAsync(r))).WaitAsync(Patience);
        for (int i = 0; i < together.Length; i++)
        {
            Assert.Equal(20, results[i].CachedTokens); // each slot now holds its extension: prompts[i][..20] then other tokens
            AssertSameOutput(generator.Generate(together[i] with { ContextLength = 128 }), results[i]);
        }
    }

    [Fact]
    public async Task CachePromptOffComputesTheWholePrompt()
    {
        using LanguageModel model = SyntheticModels.SmallLlama();
        int[] prompt = Tokens(50, seed: 6);
        using (var batcher = new ContinuousBatcher(model.Model, model.Tokenizer, new BatcherOptions { Slots = 1, ContextLength = 128 }))
        {
            GenerationResult warm = await batcher.GenerateAsync(Greedy(prompt)).WaitAsync(Patience);
            GenerationResult off = await batcher.GenerateAsync(Greedy(prompt) with { CachePrompt = false }).WaitAsync(Patience);
            Assert.Equal(0, off.CachedTokens);
            AssertSameOutput(warm, off);
        }
        using (var batcher = new ContinuousBatcher(model.Model, model.Tokenizer, new BatcherOptions { Slots = 1, ContextLength = 128, CachePrompt = false }))
        {
            await batcher.GenerateAsync(Greedy(prompt)).WaitAsync(Patience);
            Assert.Equal(0, (await batcher.GenerateAsync(Greedy(prompt)).WaitAsync(Patience)).CachedTokens);
        }
    }

    [Fact]
    public async Task TheStreamedUsageCarriesTheCachedTokens()
    {
        using LanguageModel model = SyntheticModels.SmallLlama();
        int[] prompt = Tokens(40, seed: 8);
        using var batcher = new ContinuousBatcher(model.Model, model.Tokenizer, new BatcherOptions { Slots = 2, ContextLength = 128 });
        GenerationResult whole = await batcher.GenerateAsync(Greedy(prompt)).WaitAsync(Patience);
        GenerationUsage? usage = null;
        await foreach (GenerationChunk chunk in batcher.StreamAsync(Greedy(prompt))) usage = chunk.Usage ?? usage;
        Assert.Equal(new GenerationUsage(prompt.Length, whole.CompletionTokens) { CachedTokens = prompt.Length - 1 }, usage);
    }

    [Fact]
    public void APromptCacheKeepsItsTokensAcrossGeneratorCalls()
    {
        using LanguageModel model = SyntheticModels.SmallLlama();
        var generator = new Generator(model.Model, model.Tokenizer);
        int[] prompt = Tokens(60, seed: 9);
        using var cache = new PromptCache();
        GenerationResult first = generator.Generate(Seeded(prompt) with { ContextLength = 128 }, cache);
        Assert.Equal(0, first.CachedTokens);
        Assert.Equal(FinishReason.Length, first.FinishReason); // so every sampled token was fed back
        Assert.Equal([.. prompt, .. first.Tokens], cache.Tokens.ToArray());

        GenerationResult again = generator.Generate(Seeded(prompt) with { ContextLength = 128 }, cache);
        Assert.Equal(prompt.Length - 1, again.CachedTokens);
        AssertSameOutput(first, again);

        int[] next = [.. prompt, .. again.Tokens, .. Tokens(7, seed: 10)];
        GenerationResult turn = generator.Generate(Greedy(next) with { ContextLength = 128 }, cache);
        Assert.Equal(prompt.Length + again.Tokens.Length, turn.CachedTokens);
        AssertSameOutput(generator.Generate(Greedy(next) with { ContextLength = 128 }), turn);

        GenerationResult cold = generator.Generate(Greedy(next) with { ContextLength = 128, CachePrompt = false }, cache);
        Assert.Equal(0, cold.CachedTokens);
        AssertSameOutput(turn, cold);
    }

    [Fact]
    public void SimilarityOutsideZeroToOneIsRefused()
    {
        using LanguageModel model = SyntheticModels.SmallLlama();
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            new ContinuousBatcher(model.Model, model.Tokenizer, new BatcherOptions { Slots = 1, ContextLength = 64, SlotSimilarity = 1.5f }));
    }

    [Theory]
    [InlineData(new[] { 1, 2, 3 }, new[] { 1, 2, 3 }, 2)]
    [InlineData(new[] { 1, 2, 3, 4 }, new[] { 1, 2, 3 }, 2)]
    [InlineData(new[] { 1, 2 }, new[] { 1, 2, 3 }, 2)]
    [InlineData(new[] { 1, 9, 3 }, new[] { 1, 2, 3 }, 1)]
    [InlineData(new int[0], new[] { 1, 2, 3 }, 0)]
    [InlineData(new[] { 5 }, new[] { 5 }, 0)]
    public void ReusableIsTheCommonPrefixLessTheLastPromptToken(int[] held, int[] prompt, int expected) =>
        Assert.Equal(expected, PromptPrefix.Reusable(held, prompt));
}
