// response_format json_object and json_schema: the output parses (constrained decoding), through raw HTTP, the SDK and M.E.AI.
using System.ClientModel;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using SdkChat = OpenAI.Chat;

namespace Quill.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class ResponseFormatTests(ServerFixture server)
{
    private const string PersonSchema =
        """{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"],"additionalProperties":false}""";

    private static string PersonRequest(string fields) =>
        "{\"messages\":[{\"role\":\"user\",\"content\":\"A person\"}],\"max_tokens\":64," + fields +
        ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"person\",\"schema\":" + PersonSchema + "}}}";

    private static string ContentOf(JsonElement response, int choice = 0) =>
        response.GetProperty("choices")[choice].GetProperty("message").GetProperty("content").GetString()!;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task JsonObjectModeGivesAJsonObject(int seed)
    {
        using HttpClient client = server.Client();
        JsonElement r = await RawApi.PostOkAsync(client, "v1/chat/completions",
            $$$"""{"messages":[{"role":"user","content":"Give me JSON"}],"max_tokens":48,"seed":{{{seed}}},"response_format":{"type":"json_object"}}""");
        using JsonDocument output = JsonDocument.Parse(ContentOf(r));
        Assert.Equal(JsonValueKind.Object, output.RootElement.ValueKind);
    }

    [Fact]
    public async Task JsonSchemaModeMatchesTheSchemaForEveryChoice()
    {
        using HttpClient client = server.Client();
        JsonElement r = await RawApi.PostOkAsync(client, "v1/chat/completions",
            PersonRequest("\"seed\":4,\"n\":3"));
        for (int i = 0; i < 3; i++)
        {
            using JsonDocument person = JsonDocument.Parse(ContentOf(r, i));
            Assert.Equal(JsonValueKind.String, person.RootElement.GetProperty("name").ValueKind);
            Assert.True(person.RootElement.GetProperty("age").TryGetInt64(out _));
            Assert.Equal(2, person.RootElement.EnumerateObject().Count());
        }
    }

    [Fact]
    public async Task StreamedJsonSchemaOutputParsesToo()
    {
        using HttpClient client = server.Client();
        List<JsonElement> events = await RawApi.StreamAsync(client, "v1/chat/completions",
            PersonRequest("\"seed\":8,\"stream\":true"));
        using JsonDocument person = JsonDocument.Parse(RawApi.ChatText(events));
        Assert.Equal(JsonValueKind.String, person.RootElement.GetProperty("name").ValueKind);
    }

    [Fact]
    public async Task CompletionsAcceptResponseFormatToo()
    {
        using HttpClient client = server.Client();
        JsonElement r = await RawApi.PostOkAsync(client, "v1/completions", """{"prompt":"JSON:","max_tokens":40,"seed":2""" +
            ""","response_format":{"type":"json_object"}}""");
        using JsonDocument output = JsonDocument.Parse(r.GetProperty("choices")[0].GetProperty("text").GetString()!);
        Assert.Equal(JsonValueKind.Object, output.RootElement.ValueKind);
    }

    [Fact]
    public async Task UnsupportedSchemaIs400NamingTheSchema()
    {
        using HttpClient client = server.Client();
        using HttpResponseMessage response = await RawApi.PostAsync(client, "v1/chat/completions",
            """{"messages":[{"role":"user","content":"x"}],"response_format":""" +
            """{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object","patternProperties":{"^a":{"type":"string"}}}}}}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("response_format.json_schema.schema", (await RawApi.ErrorOf(response)).GetProperty("param").GetString());
    }

    [Fact]
    public async Task SdkJsonSchemaFormatIsHonoured()
    {
        SdkChat.ChatClient chat = new OpenAIClient(new ApiKeyCredential(ServerFixture.ApiKey),
            new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") })
            .GetChatClient(server.ModelId);
        var options = new SdkChat.ChatCompletionOptions
        {
            MaxOutputTokenCount = 64,
            ResponseFormat = SdkChat.ChatResponseFormat.CreateJsonSchemaFormat("person", BinaryData.FromString(PersonSchema), jsonSchemaIsStrict: true),
        };
        SdkChat.ChatCompletion completion = (await chat.CompleteChatAsync([new SdkChat.UserChatMessage("A person")], options)).Value;
        using JsonDocument person = JsonDocument.Parse(completion.Content[0].Text);
        Assert.Equal(JsonValueKind.String, person.RootElement.GetProperty("name").ValueKind);
    }

    [Fact]
    public async Task ExtensionsAIJsonFormatIsHonoured()
    {
        using IChatClient chat = new OpenAIClient(new ApiKeyCredential(ServerFixture.ApiKey),
            new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") })
            .GetChatClient(server.ModelId).AsIChatClient();
        ChatResponse response = await chat.GetResponseAsync("Some JSON",
            new ChatOptions { MaxOutputTokens = 48, ResponseFormat = Microsoft.Extensions.AI.ChatResponseFormat.Json });
        using JsonDocument output = JsonDocument.Parse(response.Text);
        Assert.Equal(JsonValueKind.Object, output.RootElement.ValueKind);
    }
}
