// QuillChatClient on a random-weight synthetic Llama: replies equal Generator's on the template's prompt, streaming,
// seeds, limits, stops, cancellation, a ChatClientBuilder pipeline, a ContinuousBatcher underneath.
using Microsoft.Extensions.AI;
using Quill.AI;
using Quill.Generation;
using Quill.Models.Synthetic;
using Quill.Serving;
using Quill.Tests.Models;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Quill.Tests.AI;

public sealed class QuillChatClientModelTests
{
    private const string Template =
        "{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}";
    private const string RenderedPrompt = "<s>[system] be brief\n[user] hello\n[assistant]";
    private const int ReplyTokens = 8;

    private static readonly SyntheticModelOptions ModelOptions = new()
    {
        Dim = 32, Layers = 1, Heads = 2, KvHeads = 1, VocabSize = 300,
        ChatTemplate = Template
    };
    private static readonly AiChatMessage[] Conversation = [new(ChatRole.System, "be brief"), new(ChatRole.User, "hello")];
    private static readonly ChatOptions GreedyOptions = new() { Temperature = 0, MaxOutputTokens = ReplyTokens };
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static LanguageModel Load(SyntheticModelOptions? options = null) =>
        LanguageModel.Load(SyntheticModels.Get(options ?? ModelOptions), new LoadOptions { Threads = 1 });

    /// <summary>What Generator gives for the prompt the template renders, tokenized as the client must.</summary>
    private static GenerationResult Reference(LanguageModel lm, GenerationRequest settings)
    {
        int[] prompt = lm.Tokenizer.Encode(RenderedPrompt, addSpecial: false, parseSpecial: true);
        return new Generator(lm.Model, lm.Tokenizer).Generate(settings with { PromptTokens = prompt });
    }

    private static GenerationResult GreedyReference(LanguageModel lm) =>
        Reference(lm, new GenerationRequest { MaxTokens = ReplyTokens, Sampling = SamplingOptions.Greedy });

    private static async Task<List<ChatResponseUpdate>> Collect(IAsyncEnumerable<ChatResponseUpdate> stream)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (ChatResponseUpdate update in stream) updates.Add(update);
        return updates;
    }

    [Fact]
    public async Task GreedyReplyIsTheGeneratorsOnTheRenderedPrompt()
    {
        using LanguageModel lm = Load();
        using QuillChatClient client = QuillChatClient.FromModel(lm);
        GenerationResult expected = GreedyReference(lm);
        Assert.NotEmpty(expected.Text); // the random model must say something for the comparison to mean anything
        Assert.Equal(lm.Tokenizer.BosId, lm.Tokenizer.Encode(RenderedPrompt, addSpecial: false, parseSpecial: true)[0]);

        ChatResponse response = await client.GetResponseAsync(Conversation, GreedyOptions);
        Assert.Equal(expected.Text, response.Text);
        Assert.Equal(expected.Tokens, Assert.IsType<GenerationResult>(response.RawRepresentation).Tokens);
        Assert.Equal((long)expected.PromptTokens, response.Usage?.InputTokenCount);
        Assert.Equal((long)expected.CompletionTokens, response.Usage?.OutputTokenCount);
        Assert.Equal(expected.FinishReason == FinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(lm.Name, response.ModelId);
    }

    [Fact]
    public async Task StreamedUpdatesConcatenateToTheReplyAndEndWithFinishAndUsage()
    {
        using LanguageModel lm = Load();
        using QuillChatClient client = QuillChatClient.FromModel(lm);
        GenerationResult expected = GreedyReference(lm);

        List<ChatResponseUpdate> updates = await Collect(client.GetStreamingResponseAsync(Conversation, GreedyOptions));
        Assert.Equal(expected.Text, string.Concat(updates.Select(u => u.Text)));
        Assert.NotNull(updates[^1].FinishReason);
        Assert.All(updates[..^1], u => Assert.Null(u.FinishReason));
        UsageDetails usage = Assert.Single(updates[^1].Contents.OfType<UsageContent>()).Details;
        Assert.Equal(((long)expected.PromptTokens, (long)expected.CompletionTokens), (usage.InputTokenCount, usage.OutputTokenCount));
    }

    [Fact]
    public async Task SeedReproducesTheGeneratorsSampledReply()
    {
        using LanguageModel lm = Load();
        using QuillChatClient client = QuillChatClient.FromModel(lm);
        var options = new ChatOptions { Temperature = 1.5f, Seed = 7, MaxOutputTokens = ReplyTokens };
        GenerationResult expected = Reference(lm,
            new GenerationRequest { MaxTokens = ReplyTokens, Sampling = new SamplingOptions { Temperature = 1.5f, Seed = 7 } });

        ChatResponse first = await client.GetResponseAsync(Conversation, options);
        ChatResponse second = await client.GetResponseAsync(Conversation, options);
        Assert.Equal(expected.Text, first.Text);
        Assert.Equal(first.Text, second.Text);
    }

    [Fact]
    public async Task MaxOutputTokensEndsWithLength()
    {
        using LanguageModel lm = Load();
        using QuillChatClient client = QuillChatClient.FromModel(lm);
        Assert.True(GreedyReference(lm).CompletionTokens > 2, "the greedy reply must outlast the limit");

        ChatResponse response = await client.GetResponseAsync(Conversation, new ChatOptions { Temperature = 0, MaxOutputTokens = 2 });
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(2L, response.Usage?.OutputTokenCount);
    }

    [Fact]
    public async Task StopSequenceCutsTheReply()
    {
        using LanguageModel lm = Load();
        using QuillChatClient client = QuillChatClient.FromModel(lm);
        string full = GreedyReference(lm).Text;
        Assert.True(full.Length >= 2, $"the greedy reply '{full}' is too short to cut");
        string stop = full[^2..];
        GenerationResult expected = Reference(lm, new GenerationRequest { MaxTokens = ReplyTokens, Sampling = SamplingOptions.Greedy, Stop = [stop] });

        ChatResponse response = await client.GetResponseAsync(Conversation,
            new ChatOptions { Temperature = 0, MaxOutputTokens = ReplyTokens, StopSequences = [stop] });
        Assert.Equal(expected.Text, response.Text);
        Assert.Equal(full[..full.IndexOf(stop, StringComparison.Ordinal)], response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
    }

    [Fact]
    public async Task CancelledTokenThrowsOperationCanceled()
    {
        using LanguageModel lm = Load();
        using QuillChatClient client = QuillChatClient.FromModel(lm);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetResponseAsync(Conversation, GreedyOptions, cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Collect(client.GetStreamingResponseAsync(Conversation, GreedyOptions, cts.Token)));
    }

    [Fact]
    public async Task ComposesInAChatClientBuilderPipeline()
    {
        using LanguageModel lm = Load();
        GenerationResult expected = GreedyReference(lm);
        using IChatClient pipeline = new ChatClientBuilder(QuillChatClient.FromModel(lm))
            .ConfigureOptions(o => { o.Temperature = 0; o.MaxOutputTokens = ReplyTokens; })
            .Build();

        ChatResponse response = await pipeline.GetResponseAsync(Conversation);
        Assert.Equal(expected.Text, response.Text);
        List<ChatResponseUpdate> updates = await Collect(pipeline.GetStreamingResponseAsync(Conversation));
        Assert.Equal(expected.Text, updates.ToChatResponse().Text);
        Assert.Equal("quill", pipeline.GetService<ChatClientMetadata>()?.ProviderName);
        Assert.NotNull(pipeline.GetService<QuillChatClient>());
    }

    [Fact]
    public async Task ModelWithoutTemplateChatsInChatMl()
    {
        using LanguageModel lm = Load(ModelOptions with { ChatTemplate = null });
        using QuillChatClient client = QuillChatClient.FromModel(lm, modelId: "plain");
        Assert.Equal("chatml", client.Template.Name);
        Assert.Equal("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", client.Template.Render([new("user", "hi")]));
        ChatResponse response = await client.GetResponseAsync([new(ChatRole.User, "hi")], GreedyOptions);
        Assert.Equal("plain", response.ModelId);
    }

    [Fact]
    public async Task LoadedClientOwnsItsModel()
    {
        string expected;
        using (LanguageModel lm = Load()) expected = GreedyReference(lm).Text;
        using QuillChatClient client = QuillChatClient.Load(SyntheticModels.Get(ModelOptions), new LoadOptions { Threads = 1 });
        Assert.Equal(expected, (await client.GetResponseAsync(Conversation, GreedyOptions)).Text);
    }

    [Fact]
    public async Task ConcurrentCallsOverAContinuousBatcherGiveTheGeneratorsReplies()
    {
        using LanguageModel lm = Load();
        GenerationResult expected = GreedyReference(lm);
        using var batcher = new ContinuousBatcher(lm.Model, lm.Tokenizer, new BatcherOptions { Slots = 2, ContextLength = 96 });
        using var client = new QuillChatClient(batcher, QuillChatClient.FromModel(lm).Template, "batched");

        Task<ChatResponse> whole = client.GetResponseAsync(Conversation, GreedyOptions);
        Task<List<ChatResponseUpdate>> streamed = Collect(client.GetStreamingResponseAsync(Conversation, GreedyOptions));
        Task<ChatResponse> unlimited = client.GetResponseAsync(Conversation, new ChatOptions { Temperature = 0 }); // ends at its turn or the context
        await Task.WhenAll(whole, streamed, unlimited).WaitAsync(Patience);

        Assert.Equal(expected.Text, (await whole).Text);
        Assert.Equal(expected.Text, (await streamed).ToChatResponse().Text);
        ChatResponse open = await unlimited;
        Assert.StartsWith(expected.Text, open.Text);
        Assert.NotNull(open.FinishReason);
        Assert.InRange(open.Usage?.TotalTokenCount ?? 0, 1, 96 + 1); // the last sampled token needs no cache slot
    }
}
