// QuillChatClient with tools on a random-weight model: FunctionInvokingChatClient runs a real C# function with valid arguments and the result goes back in.
using System.Text.Json;
using Microsoft.Extensions.AI;
using Quill.AI;
using Quill.Generation;
using Quill.Models.Synthetic;
using Quill.Tests.Models;
using Quill.Tokenizers;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Quill.Tests.AI;

public sealed class QuillChatClientToolTests
{
    private const string Template =
        "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}";

    private static LanguageModel Load() => LanguageModel.Load(
        SyntheticModels.Get(new SyntheticModelOptions { VocabSize = 600, ContextLength = 2048, ChatTemplate = Template }), new LoadOptions { Threads = 1 });

    /// <summary>A generator that remembers every prompt it was given, as text.</summary>
    private sealed class PromptRecorder(ITextGenerator inner) : ITextGenerator
    {
        public List<string> Prompts { get; } = [];
        public ITokenizer Tokenizer => inner.Tokenizer;
        public int ContextLength => inner.ContextLength;

        public Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken ct = default)
        {
            Prompts.Add(inner.Tokenizer.Decode(request.PromptTokens!));
            return inner.GenerateAsync(request, ct);
        }

        public IAsyncEnumerable<GenerationChunk> StreamAsync(GenerationRequest request, CancellationToken ct = default)
        {
            Prompts.Add(inner.Tokenizer.Decode(request.PromptTokens!));
            return inner.StreamAsync(request, ct);
        }
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    [InlineData(4, true)]
    public async Task FunctionInvokingChatClientCallsARealFunction(long seed, bool streamed)
    {
        using LanguageModel lm = Load();
        var recorder = new PromptRecorder(new Generator(lm.Model, lm.Tokenizer));
        var invocations = new List<(string City, int Days)>();
        AIFunction weather = AIFunctionFactory.Create((string city, int days) =>
        {
            invocations.Add((city, days));
            return $"RESULT-{invocations.Count}: sunny";
        }, "get_weather", "Weather in a city for some days");
        var quill = new QuillChatClient(recorder, Quill.Tokenizers.ChatTemplates.ChatTemplate.Parse(Template), "synthetic");
        using IChatClient client = new ChatClientBuilder(quill)
            .UseFunctionInvocation(configure: f => f.MaximumIterationsPerRequest = 2)
            .Build();
        var options = new ChatOptions
        {
            Tools = [weather], ToolMode = ChatToolMode.RequireSpecific("get_weather"), MaxOutputTokens = 60, Seed = seed, Temperature = 1,
        };
        AiChatMessage[] conversation = [new(ChatRole.User, "Weather in Paris?")];
        ChatResponse response = streamed
            ? await client.GetStreamingResponseAsync(conversation, options).ToChatResponseAsync()
            : await client.GetResponseAsync(conversation, options);

        Assert.NotEmpty(invocations); // the function really ran, with arguments the schema allows (a string and an integer)
        FunctionCallContent call = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().First();
        Assert.Equal("get_weather", call.Name);
        Assert.Equal(JsonValueKind.String, Assert.IsType<JsonElement>(call.Arguments!["city"]).ValueKind);
        Assert.Equal(invocations[0].City, ((JsonElement)call.Arguments["city"]!).GetString());
        FunctionResultContent result = response.Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().First();
        Assert.Equal(call.CallId, result.CallId);
        Assert.True(recorder.Prompts.Count >= 2);
        Assert.Contains("<tool_response>\nRESULT-1: sunny\n</tool_response>", recorder.Prompts[1]); // the result went back into the prompt
        Assert.Contains("\"name\":\"get_weather\"", recorder.Prompts[1]); // and so did the call
    }

    [Fact]
    public async Task ToolModeNoneAnswersInTextAndRequireAnyCalls()
    {
        using LanguageModel lm = Load();
        using QuillChatClient client = QuillChatClient.FromModel(lm);
        AIFunction now = AIFunctionFactory.Create(() => "noon", "now");
        for (long seed = 1; seed <= 4; seed++)
        {
            ChatResponse none = await client.GetResponseAsync([new AiChatMessage(ChatRole.User, "Time?")],
                new ChatOptions { Tools = [now], ToolMode = ChatToolMode.None, MaxOutputTokens = 8, Seed = seed });
            Assert.Empty(none.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
            ChatResponse any = await client.GetResponseAsync([new AiChatMessage(ChatRole.User, "Time?")],
                new ChatOptions { Tools = [now], ToolMode = ChatToolMode.RequireAny, MaxOutputTokens = 80, Seed = seed });
            Assert.Equal(ChatFinishReason.ToolCalls, any.FinishReason);
            Assert.All(any.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>(), c => Assert.Equal("now", c.Name));
        }
    }
}
