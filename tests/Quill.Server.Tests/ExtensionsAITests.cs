// Microsoft.Extensions.AI's IChatClient over the OpenAI SDK against the real server: whole and streamed responses.
using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Quill.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class ExtensionsAITests(ServerFixture server)
{
    private IChatClient ChatClient() =>
        new OpenAIClient(new ApiKeyCredential(ServerFixture.ApiKey), new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") })
            .GetChatClient(server.ModelId).AsIChatClient();

    private static ChatOptions Options => new() { MaxOutputTokens = 10, Temperature = 1, Seed = 3 };

    [Fact]
    public async Task ResponseHasTextUsageAndFinishReason()
    {
        using IChatClient chat = ChatClient();
        ChatResponse response = await chat.GetResponseAsync([new ChatMessage(ChatRole.System, "Be brief."), new ChatMessage(ChatRole.User, "Hello")], Options);
        Assert.Equal(ChatRole.Assistant, response.Messages.Single().Role);
        Assert.NotNull(response.Usage);
        Assert.InRange(response.Usage.OutputTokenCount ?? -1, 0, 10);
        Assert.True(response.FinishReason == ChatFinishReason.Stop || response.FinishReason == ChatFinishReason.Length);
        Assert.Equal(server.ModelId, response.ModelId);
    }

    [Fact]
    public async Task StreamingResponseEqualsTheWholeResponse()
    {
        using IChatClient chat = ChatClient();
        ChatResponse whole = await chat.GetResponseAsync("Tell me a story", Options);
        var updates = new List<ChatResponseUpdate>();
        await foreach (ChatResponseUpdate update in chat.GetStreamingResponseAsync("Tell me a story", Options)) updates.Add(update);
        ChatResponse streamed = updates.ToChatResponse();
        Assert.Equal(whole.Text, streamed.Text);
        Assert.Equal(whole.FinishReason, streamed.FinishReason);
    }
}
