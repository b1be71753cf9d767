// The official OpenAI .NET SDK against the real server: chat (whole and streamed, logprobs), models, embeddings.
#pragma warning disable OPENAI001 // Seed is marked experimental in the SDK
using System.ClientModel;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;
using OpenAI.Models;

namespace Quill.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class OpenAISdkTests(ServerFixture server)
{
    private const float EmbeddingTolerance = 1e-6f;

    private OpenAIClient Client() =>
        new(new ApiKeyCredential(ServerFixture.ApiKey), new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") });

    private static ChatCompletionOptions Options(int seed) => new() { MaxOutputTokenCount = 12, Temperature = 1, Seed = seed };

    [Fact]
    public async Task ChatCompletionHasTextFinishReasonAndUsage()
    {
        ChatClient chat = Client().GetChatClient(server.ModelId);
        ChatCompletion completion = (await chat.CompleteChatAsync([new UserChatMessage("Say hello")], Options(1))).Value;
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.Equal(server.ModelId, completion.Model);
        Assert.StartsWith("chatcmpl-", completion.Id);
        Assert.Contains(completion.FinishReason, new[] { ChatFinishReason.Stop, ChatFinishReason.Length });
        Assert.True(completion.Usage.InputTokenCount > 0);
        Assert.InRange(completion.Usage.OutputTokenCount, 0, 12);
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task StreamedChatEqualsWholeChatWithTheSameSeed()
    {
        ChatClient chat = Client().GetChatClient(server.ModelId);
        ChatMessage[] messages = [new SystemChatMessage("You are terse."), new UserChatMessage("Count to three")];
        ChatCompletion whole = (await chat.CompleteChatAsync(messages, Options(7))).Value;
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (StreamingChatCompletionUpdate update in chat.CompleteChatStreamingAsync(messages, Options(7)))
        {
            foreach (ChatMessageContentPart part in update.ContentUpdate) text.Append(part.Text);
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }
        Assert.Equal(whole.Content.Count == 0 ? "" : whole.Content[0].Text, text.ToString());
        Assert.Equal(whole.FinishReason, finish);
        Assert.NotNull(usage); // the SDK asks for stream_options.include_usage
        Assert.Equal(whole.Usage.OutputTokenCount, usage.OutputTokenCount);
        Assert.Equal(whole.Usage.InputTokenCount, usage.InputTokenCount);
    }

    [Fact]
    public async Task ChatLogprobsListEveryTokenWithItsAlternatives()
    {
        ChatClient chat = Client().GetChatClient(server.ModelId);
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 6, Temperature = 0, IncludeLogProbabilities = true, TopLogProbabilityCount = 3 };
        ChatCompletion completion = (await chat.CompleteChatAsync([new UserChatMessage("Hi")], options)).Value;
        Assert.Equal(completion.Usage.OutputTokenCount, completion.ContentTokenLogProbabilities.Count);
        foreach (ChatTokenLogProbabilityDetails token in completion.ContentTokenLogProbabilities)
        {
            Assert.True(token.LogProbability <= 0);
            Assert.Equal(3, token.TopLogProbabilities.Count);
            // Greedy: the chosen token is the most likely one.
            Assert.Equal(token.TopLogProbabilities[0].LogProbability, token.LogProbability, 1e-5f);
        }
    }

    [Fact]
    public async Task ModelsListsTheGenerativeAndTheEmbeddingModel()
    {
        OpenAIModelCollection models = (await Client().GetOpenAIModelClient().GetModelsAsync()).Value;
        Assert.Equal([server.ModelId, server.EmbeddingModelId], models.Select(m => m.Id));
        OpenAIModel one = (await Client().GetOpenAIModelClient().GetModelAsync(server.ModelId)).Value;
        Assert.Equal(server.ModelId, one.Id);
    }

    [Fact]
    public async Task EmbeddingsFromTheSdkEqualFloatAndBase64Answers()
    {
        string[] texts = ["A cat sat on the mat.", "Stock prices fell sharply."];
        OpenAIEmbeddingCollection sdk = (await Client().GetEmbeddingClient(server.EmbeddingModelId).GenerateEmbeddingsAsync(texts)).Value;
        Assert.Equal(2, sdk.Count);

        using HttpClient http = server.Client();
        string request = JsonSerializer.Serialize(new { input = texts, model = server.EmbeddingModelId });
        JsonElement floats = await RawApi.PostOkAsync(http, "v1/embeddings", request);
        JsonElement base64 = await RawApi.PostOkAsync(http, "v1/embeddings", request.Insert(1, "\"encoding_format\":\"base64\","));
        Assert.Equal("list", floats.GetProperty("object").GetString());
        Assert.True(floats.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() > 0);
        for (int i = 0; i < texts.Length; i++)
        {
            float[] fromFloats = floats.GetProperty("data")[i].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            byte[] bytes = Convert.FromBase64String(base64.GetProperty("data")[i].GetProperty("embedding").GetString()!);
            float[] fromBase64 = new float[bytes.Length / sizeof(float)];
            Buffer.BlockCopy(bytes, 0, fromBase64, 0, bytes.Length);
            float[] fromSdk = sdk[i].ToFloats().ToArray();
            Assert.Equal(384, fromFloats.Length);
            Assert.Equal(fromFloats, fromBase64); // float text round-trips exactly
            for (int c = 0; c < fromFloats.Length; c++) Assert.Equal(fromFloats[c], fromSdk[c], EmbeddingTolerance);
        }
        Assert.Equal(1.0, Math.Sqrt(sdk[0].ToFloats().ToArray().Sum(v => (double)v * v)), 1e-4);
    }
}
