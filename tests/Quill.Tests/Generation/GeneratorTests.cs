// The generation loop over a scripted model and a byte tokenizer: finish reasons, stops, streaming, logprobs; no real model.
using Quill.Generation;

namespace Quill.Tests.Generation;

public class GeneratorTests
{
    private const int V = 258;
    private const int Context = 64;
    private const float LogprobTolerance = 1e-4f;

    private static readonly int[] Prompt = [ByteTokenizer.Bos, 'H', 'i'];

    // A model that, after Prompt, greedily spells `continuation` and then `then` (EOS unless told otherwise).
    private static ScriptedModel Spelling(string continuation, int then = ByteTokenizer.Eos, int context = Context) =>
        ScriptedModel.Spelling(V, context, Prompt.Length, ByteTokenizer.Ids(continuation), then);

    private static ScriptedModel Spelling(byte[] continuation, int then = ByteTokenizer.Eos) =>
        ScriptedModel.Spelling(V, Context, Prompt.Length, [.. continuation.Select(b => (int)b)], then);

    private static GenerationRequest Greedy(int maxTokens = 128, params string[] stop) =>
        new() { PromptTokens = Prompt, MaxTokens = maxTokens, Sampling = SamplingOptions.Greedy, Stop = stop };

    private static async Task<List<GenerationChunk>> Collect(IAsyncEnumerable<GenerationChunk> stream)
    {
        var chunks = new List<GenerationChunk>();
        await foreach (GenerationChunk chunk in stream) chunks.Add(chunk);
        return chunks;
    }

    [Fact]
    public void EndOfGenerationTokenStopsAndIsNotPartOfTheResult()
    {
        ScriptedModel model = Spelling("Hello");
        GenerationResult result = new Generator(model, new ByteTokenizer()).Generate(Greedy());
        Assert.Equal("Hello", result.Text);
        Assert.Equal(FinishReason.Stop, result.FinishReason);
        Assert.Equal(ByteTokenizer.Ids("Hello"), result.Tokens);
        Assert.Equal((3, 5), (result.PromptTokens, result.CompletionTokens));
        Assert.Null(result.MatchedStop);
        Assert.Null(result.Seed);
    }

    [Fact]
    public void PromptGoesInAsOneBatchThenOneTokenAtATime()
    {
        ScriptedModel model = Spelling("abc");
        new Generator(model, new ByteTokenizer()).Generate(Greedy());
        Assert.Equal(new[] { 3, 1, 1, 1 }, model.AppendSizes);
        Assert.Equal([.. Prompt, .. ByteTokenizer.Ids("abc")], model.Appended);
        Assert.Equal((1, 1), (model.StatesCreated, model.StatesDisposed));
    }

    [Fact]
    public void TextPromptIsEncodedWithTheRequestFlags()
    {
        ScriptedModel model = Spelling("!");
        var request = new GenerationRequest { Prompt = "Hi", Sampling = SamplingOptions.Greedy };
        GenerationResult result = new Generator(model, new ByteTokenizer()).Generate(request);
        Assert.Equal(3, result.PromptTokens); // BOS + 2 bytes
        Assert.Equal("!", result.Text);
        GenerationResult bare = new Generator(Spelling("!"), new ByteTokenizer()).Generate(request with { AddSpecial = false });
        Assert.Equal(2, bare.PromptTokens);
    }

    [Theory]
    [InlineData(5, "Hello", FinishReason.Length)]
    [InlineData(0, "", FinishReason.Length)]
    [InlineData(11, "Hello world", FinishReason.Length)]
    [InlineData(12, "Hello world", FinishReason.Stop)]
    public void MaxTokensEndsWithLength(int maxTokens, string expected, FinishReason reason)
    {
        GenerationResult result = new Generator(Spelling("Hello world"), new ByteTokenizer()).Generate(Greedy(maxTokens));
        Assert.Equal(expected, result.Text);
        Assert.Equal(reason, result.FinishReason);
    }

    [Fact]
    public void FullContextEndsWithLength()
    {
        // 3 prompt tokens in a 6-token cache: 3 tokens fit, a 4th is sampled from the last logits, then the cache is full.
        ScriptedModel model = Spelling("abcdefgh", context: Context);
        var request = Greedy() with { ContextLength = 6 };
        GenerationResult result = new Generator(model, new ByteTokenizer()).Generate(request);
        Assert.Equal("abcd", result.Text);
        Assert.Equal(FinishReason.Length, result.FinishReason);
    }

    [Fact]
    public void StopStringCutsTheTextAndReportsWhichHit()
    {
        GenerationResult result = new Generator(Spelling("Hello END world"), new ByteTokenizer()).Generate(Greedy(128, "xyz", "END"));
        Assert.Equal("Hello ", result.Text);
        Assert.Equal(FinishReason.Stop, result.FinishReason);
        Assert.Equal("END", result.MatchedStop);
        Assert.Equal(ByteTokenizer.Ids("Hello END"), result.Tokens); // the tokens that spelled the stop are kept
    }

    [Fact]
    public void RepeatPenaltySeesThePromptAndTheCompletion()
    {
        float[] row = new float[V];
        row['a'] = 2.0f;
        row['b'] = 1.9f;
        var model = new ScriptedModel(V, Context, [row]);
        var request = new GenerationRequest
        {
            PromptTokens = ['a'],
            MaxTokens = 2,
            Sampling = SamplingOptions.Greedy with { RepeatPenalty = 1.5f, RepeatLastN = -1 },
        };
        // 'a' is in the prompt: 2.0 / 1.5 < 1.9, so 'b'; then both are penalised and 'a' leads again.
        Assert.Equal("ba", new Generator(model, new ByteTokenizer()).Generate(request).Text);
    }

    [Fact]
    public void SameSeedSameTextDifferentSeedDifferentText()
    {
        var row = new float[V];
        for (int i = 'a'; i <= 'z'; i++) row[i] = 5; // 26 equally likely letters
        var model = new ScriptedModel(V, Context, [row]);
        var generator = new Generator(model, new ByteTokenizer());
        var request = new GenerationRequest { PromptTokens = Prompt, MaxTokens = 24, Sampling = new SamplingOptions { Seed = 11 } };
        GenerationResult a = generator.Generate(request);
        GenerationResult b = generator.Generate(request);
        GenerationResult c = generator.Generate(request with { Sampling = new SamplingOptions { Seed = 12 } });
        Assert.Equal(a.Text, b.Text);
        Assert.NotEqual(a.Text, c.Text);
        Assert.Equal(11UL, a.Seed);
        Assert.Equal(24, a.Text.Length);
    }

    [Fact]
    public void DanglingPartialCharacterAtTheEndBecomesReplacementLikeDecode()
    {
        var tokenizer = new ByteTokenizer();
        GenerationResult result = new Generator(Spelling([0x61, 0xC3]), tokenizer).Generate(Greedy());
        Assert.Equal(tokenizer.Decode(result.Tokens), result.Text);
        Assert.Equal("a\uFFFD", result.Text);
    }

    [Fact]
    public void LogprobsReportTheChosenTokenAndTheTopAlternatives()
    {
        // Each row is one-hot (10 for the chosen byte, 0 elsewhere): log p = 10 − ln(e^10 + 257).
        float expected = 10 - MathF.Log(MathF.Exp(10) + (V - 1));
        GenerationResult result = new Generator(Spelling("ok"), new ByteTokenizer()).Generate(Greedy() with { Logprobs = 2 });
        Assert.NotNull(result.Logprobs);
        Assert.Equal(2, result.Logprobs!.Count); // no entry for the end-of-generation token
        Assert.Equal(new[] { 'o', 'k' }, result.Logprobs.Select(l => (char)l.Token));
        Assert.Equal(new[] { "o", "k" }, result.Logprobs.Select(l => l.Text));
        foreach (TokenLogprob entry in result.Logprobs)
        {
            Assert.Equal(expected, entry.Logprob, LogprobTolerance);
            Assert.Equal(2, entry.TopLogprobs.Count);
            Assert.Equal(entry.Token, entry.TopLogprobs[0].Token);
            Assert.Equal(0, entry.TopLogprobs[1].Token); // ties among the zeros: lowest id
        }
        Assert.Null(new Generator(Spelling("ok"), new ByteTokenizer()).Generate(Greedy()).Logprobs);
    }

    [Fact]
    public void CancellationReturnsTheTextSoFar()
    {
        using var cts = new CancellationTokenSource();
        ScriptedModel model = Spelling("Hello world");
        model.OnAppend = _ => { if (model.AppendSizes.Count == 3) cts.Cancel(); }; // prompt, 'H', then cancel during 'e'
        GenerationResult result = new Generator(model, new ByteTokenizer()).Generate(Greedy(), cts.Token);
        Assert.Equal(FinishReason.Cancelled, result.FinishReason);
        Assert.Equal("Hel", result.Text);
        Assert.Equal(1, model.StatesDisposed);
    }

    [Fact]
    public void AlreadyCancelledRunsNoTokens()
    {
        ScriptedModel model = Spelling("Hello");
        GenerationResult result = new Generator(model, new ByteTokenizer()).Generate(Greedy(), new CancellationToken(true));
        Assert.Equal((FinishReason.Cancelled, "", 0), (result.FinishReason, result.Text, result.CompletionTokens));
        Assert.Empty(model.AppendSizes);
    }

    public static TheoryData<GenerationRequest> BadRequests => new()
    {
        new GenerationRequest(),                                                           // no prompt
        new GenerationRequest { Prompt = "a", PromptTokens = [1] },                        // both
        new GenerationRequest { PromptTokens = [] },                                       // empty
        new GenerationRequest { PromptTokens = [1, V] },                                   // id past the vocabulary
        new GenerationRequest { PromptTokens = [1, 2, 3], ContextLength = 2 },             // does not fit
        new GenerationRequest { PromptTokens = [1], MaxTokens = -1 },
        new GenerationRequest { PromptTokens = [1], Logprobs = -1 },
        new GenerationRequest { PromptTokens = [1], Sampling = new SamplingOptions { TopP = 2 } },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequestsThrowFromGenerateAndFromTheStream(GenerationRequest request)
    {
        var generator = new Generator(Spelling("x"), new ByteTokenizer());
        Assert.ThrowsAny<ArgumentException>(() => generator.Generate(request));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Collect(generator.StreamAsync(request)));
    }

    [Fact]
    public async Task StreamYieldsWholeCharactersThenAFinalChunk()
    {
        List<GenerationChunk> chunks = await Collect(new Generator(Spelling("héllo 🤗"), new ByteTokenizer()).StreamAsync(Greedy()));
        Assert.Equal(new[] { "h", "é", "l", "l", "o", " ", "🤗", "" }, chunks.Select(c => c.Text));
        Assert.All(chunks[..^1], c => Assert.Null(c.FinishReason));
        GenerationChunk last = chunks[^1];
        Assert.Equal(FinishReason.Stop, last.FinishReason);
        Assert.Equal(new GenerationUsage(3, 11), last.Usage); // "héllo 🤗" is 11 bytes
    }

    [Fact]
    public async Task StreamNeverShowsAStopSpanningTokens()
    {
        List<GenerationChunk> chunks = await Collect(new Generator(Spelling("Hi END x"), new ByteTokenizer()).StreamAsync(Greedy(128, "END")));
        Assert.Equal(new[] { "H", "i", " ", "" }, chunks.Select(c => c.Text));
        Assert.Equal("END", chunks[^1].MatchedStop);
        Assert.Equal(FinishReason.Stop, chunks[^1].FinishReason);
    }

    [Fact]
    public async Task StreamReleasesAHeldPrefixWhenGenerationEnds()
    {
        List<GenerationChunk> chunks = await Collect(new Generator(Spelling("Hi E"), new ByteTokenizer()).StreamAsync(Greedy(128, "END")));
        Assert.Equal(new[] { "H", "i", " ", "E" }, chunks.Select(c => c.Text));
        Assert.Equal(FinishReason.Stop, chunks[^1].FinishReason);
        Assert.Null(chunks[^1].MatchedStop);
    }

    [Fact]
    public async Task StreamMatchesGenerate()
    {
        var request = new GenerationRequest
        {
            PromptTokens = Prompt, MaxTokens = 9, Logprobs = 1, Stop = ["lo w"],
            Sampling = new SamplingOptions { Seed = 4 }
        };
        var generator = new Generator(Spelling("Hello world"), new ByteTokenizer());
        GenerationResult result = generator.Generate(request);
        List<GenerationChunk> chunks = await Collect(generator.StreamAsync(request));
        Assert.Equal(result.Text, string.Concat(chunks.Select(c => c.Text)));
        Assert.Equal(result.FinishReason, chunks[^1].FinishReason);
        Assert.Equal(result.Logprobs!.Select(l => l.Token), chunks.SelectMany(c => c.Logprobs ?? []).Select(l => l.Token));
    }

    [Fact]
    public async Task SynchronousStreamGivesTheChunksOfStreamAsyncAndTheResultOfGenerate()
    {
        var request = new GenerationRequest
        {
            PromptTokens = Prompt, MaxTokens = 9, Logprobs = 1, Stop = ["lo w"], Sampling = new SamplingOptions { Seed = 4 },
        };
        var generator = new Generator(Spelling("héllo world"), new ByteTokenizer());
        List<GenerationChunk> streamed = await Collect(generator.StreamAsync(request));
        var chunks = new List<GenerationChunk>();
        int thread = Environment.CurrentManagedThreadId;
        GenerationResult result = generator.Generate(request, chunk =>
        {
            Assert.Equal(thread, Environment.CurrentManagedThreadId);
            chunks.Add(chunk);
        });
        Assert.Equal(streamed.Select(c => c.Text), chunks.Select(c => c.Text));
        Assert.Equal(generator.Generate(request).Text, string.Concat(chunks.Select(c => c.Text)));
        Assert.Equal(result.Text, string.Concat(chunks.Select(c => c.Text)));
        Assert.All(chunks[..^1], c => Assert.Null(c.FinishReason));
        Assert.Equal(
            (streamed[^1].FinishReason, streamed[^1].Usage, streamed[^1].MatchedStop),
            (chunks[^1].FinishReason, chunks[^1].Usage, chunks[^1].MatchedStop));
        Assert.Equal(result.FinishReason, chunks[^1].FinishReason);
        Assert.Equal(new GenerationUsage(result.PromptTokens, result.CompletionTokens), chunks[^1].Usage);
        Assert.Equal(result.Logprobs!.Select(l => l.Token), chunks.SelectMany(c => c.Logprobs ?? []).Select(l => l.Token));
    }

    [Fact]
    public void CancellingTheSynchronousStreamEndsItWithCancelled()
    {
        using var cts = new CancellationTokenSource();
        var chunks = new List<GenerationChunk>();
        GenerationResult result = new Generator(Spelling("Hello world"), new ByteTokenizer()).Generate(Greedy(), chunk =>
        {
            chunks.Add(chunk);
            if (chunks.Count == 2) cts.Cancel(); // after "e": no further token is computed
        }, cts.Token);
        Assert.Equal(new[] { "H", "e", "" }, chunks.Select(c => c.Text));
        Assert.Equal(FinishReason.Cancelled, chunks[^1].FinishReason);
        Assert.Equal(new GenerationUsage(3, 2), chunks[^1].Usage);
        Assert.Equal((FinishReason.Cancelled, "He"), (result.FinishReason, result.Text));
    }

    [Fact]
    public void SynchronousStreamChecksItsArguments()
    {
        var generator = new Generator(Spelling("x"), new ByteTokenizer());
        Assert.Throws<ArgumentNullException>(() => generator.Generate(Greedy(), onChunk: null!));
        Assert.ThrowsAny<ArgumentException>(() => generator.Generate(new GenerationRequest(), _ => { }));
    }

    // The producer thread blocks in its second Append (the token 'H', already streamed) until the test opens the
    // gate, so what the consumer does on seeing "H" (cancel, or leave) is seen before the next token, whatever the timing.
    private static ScriptedModel GatedHelloWorld(ManualResetEventSlim gate)
    {
        ScriptedModel model = Spelling("Hello world");
        model.OnAppend = _ => { if (model.AppendSizes.Count == 1) gate.Wait(); };
        return model;
    }

    [Fact]
    public async Task CancellingTheStreamEndsItWithCancelled()
    {
        using var gate = new ManualResetEventSlim();
        using var cts = new CancellationTokenSource();
        var chunks = new List<GenerationChunk>();
        await foreach (GenerationChunk chunk in new Generator(GatedHelloWorld(gate), new ByteTokenizer()).StreamAsync(Greedy(), cts.Token))
        {
            chunks.Add(chunk);
            if (chunks.Count == 1)
            {
                cts.Cancel();
                gate.Set();
            }
        }
        Assert.Equal(new[] { "H", "" }, chunks.Select(c => c.Text));
        Assert.Equal(FinishReason.Cancelled, chunks[^1].FinishReason);
        Assert.Equal(new GenerationUsage(3, 1), chunks[^1].Usage);
    }

    [Fact]
    public async Task LeavingTheStreamEarlyStopsGenerationAndFreesTheState()
    {
        using var gate = new ManualResetEventSlim();
        ScriptedModel model = GatedHelloWorld(gate);
        IAsyncEnumerator<GenerationChunk> stream = new Generator(model, new ByteTokenizer()).StreamAsync(Greedy()).GetAsyncEnumerator();
        Assert.True(await stream.MoveNextAsync());
        ValueTask leaving = stream.DisposeAsync(); // asks the producer to stop, then waits for it
        gate.Set();
        await leaving;
        Assert.Equal(new[] { 3, 1 }, model.AppendSizes);
        Assert.Equal(1, model.StatesDisposed);
    }
}
