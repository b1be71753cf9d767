// QuillChatClient's ResponseFormat: Json and a JSON Schema become a JSON constraint, and a random model's reply parses.
using System.Text.Json;
using Microsoft.Extensions.AI;
using Quill.AI;
using Quill.Models.Synthetic;
using Quill.Tests.Models;
using Quill.Tokenizers.ChatTemplates;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Quill.Tests.AI;

public sealed class QuillChatClientJsonTests
{
    private const int JsonReplyTokens = 48;
    private static readonly AiChatMessage[] Question = [new(ChatRole.User, "Give me a person as JSON.")];
    private static readonly JsonElement NameSchema = JsonDocument.Parse(
        """{"type":"object","properties":{"name":{"type":"string"}},"required":["name"],"additionalProperties":false}""").RootElement;

    public static TheoryData<string> Formats => ["text", "json", "schema"];

    private static ChatResponseFormat Format(string name) => name switch
    {
        "text" => ChatResponseFormat.Text,
        "json" => ChatResponseFormat.Json,
        _ => ChatResponseFormat.ForJsonSchema(NameSchema, "person"),
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task ResponseFormatSetsAConstraintForJsonOnly(string format)
    {
        var generator = new RecordingTextGenerator();
        var client = new QuillChatClient(generator, ChatTemplate.Fallback(), "fake");
        await client.GetResponseAsync(Question, new ChatOptions { ResponseFormat = Format(format) });
        Assert.Equal(format != "text", Assert.Single(generator.Requests).Constraint is not null);
    }

    [Theory]
    [InlineData("json")]
    [InlineData("schema")]
    public async Task RandomModelsReplyParsesAsTheRequestedJson(string format)
    {
        using LanguageModel lm = LanguageModel.Load(SyntheticModels.Get(new SyntheticModelOptions
        {
            Dim = 32, Layers = 1, Heads = 2, KvHeads = 1,
            VocabSize = 300
        }),
            new LoadOptions { Threads = 1 });
        using QuillChatClient client = QuillChatClient.FromModel(lm);
        var options = new ChatOptions { Temperature = 0.8f, Seed = 3, MaxOutputTokens = JsonReplyTokens, ResponseFormat = Format(format) };

        ChatResponse response = await client.GetResponseAsync(Question, options);
        using JsonDocument reply = JsonDocument.Parse(response.Text);
        Assert.Equal(JsonValueKind.Object, reply.RootElement.ValueKind);
        if (format == "schema") Assert.Equal(JsonValueKind.String, reply.RootElement.GetProperty("name").ValueKind);
    }
}
