// QuillChatClient's translation: messages and ChatOptions into the GenerationRequest, results into ChatResponse(Update)s,
// unsupported input; over a recording fake generator, no model.
using Microsoft.Extensions.AI;
using Quill.AI;
using Quill.Generation;
using Quill.Tokenizers.ChatTemplates;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Quill.Tests.AI;

public sealed class QuillChatClientMappingTests
{
    private const string ModelId = "fake-model";
    private const string Template =
        "{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}";

    private static QuillChatClient Client(RecordingTextGenerator generator) => new(generator, ChatTemplate.Parse(Template, "test"), ModelId);

    private static async Task<GenerationRequest> RequestFor(IList<AiChatMessage> messages, ChatOptions? options = null)
    {
        var generator = new RecordingTextGenerator();
        await Client(generator).GetResponseAsync(messages, options);
        return Assert.Single(generator.Requests);
    }

    private static string PromptText(GenerationRequest request) =>
        new RecordingTextGenerator().Tokenizer.Decode(request.PromptTokens, skipSpecialTokens: true);

    [Fact]
    public async Task EveryChatOptionReachesTheRequest()
    {
        var options = new ChatOptions
        {
            Temperature = 0.3f, TopP = 0.5f, TopK = 7, PresencePenalty = 0.25f, FrequencyPenalty = 0.75f, Seed = 1234,
            MaxOutputTokens = 9, StopSequences = ["END", "\n\n"], ModelId = ModelId,
        };
        GenerationRequest request = await RequestFor([new(ChatRole.User, "hi")], options);
        SamplingOptions s = request.Sampling;
        Assert.Equal((0.3f, 0.5f, 7, 0.25f, 0.75f, 1234UL), (s.Temperature, s.TopP, s.TopK, s.PresencePenalty, s.FrequencyPenalty, s.Seed));
        Assert.Equal(9, request.MaxTokens);
        Assert.Equal(["END", "\n\n"], request.Stop);
        Assert.Null(request.Prompt);
        Assert.Null(request.Constraint);
    }

    [Fact]
    public async Task UnsetOptionsKeepTheDefaults()
    {
        GenerationRequest request = await RequestFor([new(ChatRole.User, "hi")]);
        Assert.Equal(new SamplingOptions(), request.Sampling);
        Assert.Equal(int.MaxValue, request.MaxTokens); // the reply runs to the end of its turn or the context
        Assert.Empty(request.Stop);
    }

    [Fact]
    public async Task RawRepresentationFactoryRequestIsTheBaseOptionsOverride()
    {
        var baseRequest = new GenerationRequest { MaxTokens = 5, Logprobs = 2, Sampling = new SamplingOptions { MinP = 0.2f, RepeatPenalty = 1.3f } };
        var options = new ChatOptions { Temperature = 0.1f, RawRepresentationFactory = _ => baseRequest };
        GenerationRequest request = await RequestFor([new(ChatRole.User, "hi")], options);
        Assert.Equal((5, 2), (request.MaxTokens, request.Logprobs));
        Assert.Equal((0.2f, 1.3f, 0.1f), (request.Sampling.MinP, request.Sampling.RepeatPenalty, request.Sampling.Temperature));
    }

    [Fact]
    public async Task NegativeLongSeedIsKeptBitForBit()
    {
        GenerationRequest request = await RequestFor([new(ChatRole.User, "hi")], new ChatOptions { Seed = -1 });
        Assert.Equal(ulong.MaxValue, request.Sampling.Seed);
    }

    [Fact]
    public async Task RolesAndConcatenatedTextContentsAreRenderedByTheTemplate()
    {
        AiChatMessage[] messages =
        [
            new(ChatRole.System, "be brief"),
            new(ChatRole.User, [new TextContent("hel"), new TextContent("lo")]),
            new(ChatRole.Assistant, "hi"),
            new(ChatRole.User, "again"),
        ];
        GenerationRequest request = await RequestFor(messages);
        Assert.Equal("[system] be brief\n[user] hello\n[assistant] hi\n[user] again\n[assistant]", PromptText(request));
        Assert.Equal(256, request.PromptTokens![0]); // BOS added: the template does not spell it
    }

    [Theory]
    [InlineData(false, "[system] rules\n[user] hi\n[assistant]")]
    [InlineData(true, "[system] rules\n\nbe brief\n[user] hi\n[assistant]")]
    public async Task InstructionsBecomeOrLeadTheSystemMessage(bool conversationHasSystem, string expected)
    {
        List<AiChatMessage> messages = [new(ChatRole.User, "hi")];
        if (conversationHasSystem) messages.Insert(0, new(ChatRole.System, "be brief"));
        GenerationRequest request = await RequestFor(messages, new ChatOptions { Instructions = "rules" });
        Assert.Equal(expected, PromptText(request));
    }

    [Theory]
    [InlineData("text in a tool message", "TextContent in a tool message")]
    [InlineData("custom role", "'critic'")]
    [InlineData("image content", "DataContent")]
    [InlineData("function call content in a user message", "FunctionCallContent in a user message")]
    [InlineData("conversation id", "ChatOptions.ConversationId")]
    public async Task UnsupportedInputThrowsNamingIt(string what, string named)
    {
        List<AiChatMessage> messages = [new(ChatRole.User, "hi")];
        var options = new ChatOptions();
        switch (what)
        {
            case "text in a tool message": messages.Add(new(ChatRole.Tool, "42")); break;
            case "custom role": messages.Add(new(new ChatRole("critic"), "meh")); break;
            case "image content": messages.Add(new(ChatRole.User, [new DataContent(new byte[] { 1, 2 }, "image/png")])); break;
            case "function call content in a user message": messages.Add(new(ChatRole.User, [new FunctionCallContent("c1", "f")])); break;
            case "conversation id": options.ConversationId = "c"; break;
        }
        var generator = new RecordingTextGenerator();
        QuillChatClient client = Client(generator);
        var e = await Assert.ThrowsAsync<NotSupportedException>(() => client.GetResponseAsync(messages, options));
        Assert.Contains(named, e.Message);
        await Assert.ThrowsAsync<NotSupportedException>(async () =>
        {
            await foreach (var _ in client.GetStreamingResponseAsync(messages, options)) { }
        });
        Assert.Empty(generator.Requests);
    }

    [Fact]
    public async Task AnotherModelIdIsRefused()
    {
        QuillChatClient client = Client(new RecordingTextGenerator());
        var e = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync([new(ChatRole.User, "hi")], new ChatOptions { ModelId = "gpt-4o" }));
        Assert.Contains("'gpt-4o'", e.Message);
        Assert.Contains($"'{ModelId}'", e.Message);
    }

    [Theory]
    [InlineData(FinishReason.Stop, "stop")]
    [InlineData(FinishReason.Length, "length")]
    public async Task FinishReasonAndUsageAreReported(FinishReason finish, string expected)
    {
        QuillChatClient client = Client(new RecordingTextGenerator { Finish = finish, PromptTokens = 11 });
        ChatResponse response = await client.GetResponseAsync([new(ChatRole.User, "hi")]);
        Assert.Equal(expected, response.FinishReason?.Value);
        Assert.Equal("Hello", response.Text);
        Assert.Equal((11L, 2L, 13L), (response.Usage?.InputTokenCount, response.Usage?.OutputTokenCount, response.Usage?.TotalTokenCount));
        Assert.Equal(ModelId, response.ModelId);
        Assert.False(string.IsNullOrEmpty(response.ResponseId));
        Assert.NotNull(response.CreatedAt);
        AiChatMessage message = Assert.Single(response.Messages);
        Assert.Equal(ChatRole.Assistant, message.Role);
        Assert.False(string.IsNullOrEmpty(message.MessageId));

        var updates = new List<ChatResponseUpdate>();
        await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync([new(ChatRole.User, "hi")])) updates.Add(update);
        Assert.Equal(expected, updates[^1].FinishReason?.Value);
        Assert.All(updates[..^1], u => Assert.Null(u.FinishReason));
    }

    [Fact]
    public async Task StreamedUpdatesShareIdsAndEndWithUsage()
    {
        QuillChatClient client = Client(new RecordingTextGenerator { Chunks = ["a", "bc", "d"], PromptTokens = 4 });
        var updates = new List<ChatResponseUpdate>();
        await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync([new(ChatRole.User, "hi")])) updates.Add(update);

        Assert.Equal(["a", "bc", "d", ""], updates.Select(u => u.Text));
        Assert.Single(updates.Select(u => u.ResponseId).Distinct());
        Assert.Single(updates.Select(u => u.MessageId).Distinct());
        Assert.All(updates, u => Assert.Equal(ChatRole.Assistant, u.Role));
        Assert.All(updates, u => Assert.Equal(ModelId, u.ModelId));
        UsageContent usage = Assert.IsType<UsageContent>(Assert.Single(updates[^1].Contents));
        Assert.Equal((4L, 3L), (usage.Details.InputTokenCount, usage.Details.OutputTokenCount));

        ChatResponse merged = updates.ToChatResponse(); // M.E.AI's own aggregation of a stream
        Assert.Equal("abcd", merged.Text);
        Assert.Equal(ChatFinishReason.Stop, merged.FinishReason);
        Assert.Equal(7L, merged.Usage?.TotalTokenCount);
    }

    [Fact]
    public async Task CancelledGenerationThrowsOperationCanceled()
    {
        QuillChatClient client = Client(new RecordingTextGenerator { Finish = FinishReason.Cancelled });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetResponseAsync([new(ChatRole.User, "hi")]));
        var seen = new List<string>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync([new(ChatRole.User, "hi")])) seen.Add(update.Text);
        });
        Assert.Equal(["Hel", "lo"], seen); // the text before the cancellation was delivered
    }

    [Fact]
    public void GetServiceAnswersMetadataItselfItsGeneratorAndTemplate()
    {
        var generator = new RecordingTextGenerator();
        QuillChatClient client = Client(generator);
        ChatClientMetadata? metadata = client.GetService<ChatClientMetadata>();
        Assert.Equal(("quill", ModelId), (metadata?.ProviderName, metadata?.DefaultModelId));
        Assert.Same(client, client.GetService<IChatClient>());
        Assert.Same(client, client.GetService<QuillChatClient>());
        Assert.Same(generator, client.GetService<ITextGenerator>());
        Assert.Same(client.Template, client.GetService<ChatTemplate>());
        Assert.Null(client.GetService<ChatClientMetadata>("some key"));
        Assert.Null(client.GetService<IEmbeddingGenerator>());
    }
}
