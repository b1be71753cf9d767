// Prompt-prefix reuse over HTTP: usage.prompt_tokens_details.cached_tokens (raw JSON and the OpenAI SDK), same output warm and cold, cache_prompt.
using System.ClientModel;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

namespace Quill.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class PromptCacheTests(ServerFixture server)
{
    /// <summary>A token-id prompt no other test sends (ids 10 and up, from <paramref name="seed"/>).</summary>
    private static string TokenPrompt(int length, int seed)
    {
        var random = new Random(seed);
        return "[" + string.Join(',', Enumerable.Range(0, length).Select(_ => random.Next(10, 500))) + "]";
    }

    private static int Cached(JsonElement response) =>
        response.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32();

    private static string Logprobs(JsonElement response) => response.GetProperty("choices")[0].GetProperty("logprobs").GetRawText();

    [Fact]
    public async Task TheSecondCompletionOfAPromptIsServedFromTheCacheWithTheSameOutput()
    {
        using HttpClient client = server.Client();
        string body = $$"""{"prompt":{{TokenPrompt(120, seed: 901)}},"max_tokens":10,"seed":5,"logprobs":3}""";
        JsonElement cold = await RawApi.PostOkAsync(client, "v1/completions", body);
        JsonElement warm = await RawApi.PostOkAsync(client, "v1/completions", body);
        JsonElement off = await RawApi.PostOkAsync(client, "v1/completions", body.Replace("}", ""","cache_prompt":false}"""));

        Assert.Equal(120, warm.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.InRange(Cached(cold), 0, 1); // another slot may share the first token at most
        Assert.Equal(119, Cached(warm));    // all but the last prompt token, whose logits are needed
        Assert.Equal(0, Cached(off));
        string metrics = await client.GetStringAsync("metrics");
        string counter = metrics.Split('\n').Single(line => line.StartsWith("quill_prompt_tokens_cached_total ", StringComparison.Ordinal));
        Assert.True(long.Parse(counter.Split(' ')[1]) >= 119, counter);
        foreach (JsonElement other in new[] { warm, off })
        {
            Assert.Equal(cold.GetProperty("choices")[0].GetProperty("text").GetString(), other.GetProperty("choices")[0].GetProperty("text").GetString());
            Assert.Equal(Logprobs(cold), Logprobs(other));
        }
    }

    [Fact]
    public async Task StreamedUsageCarriesCachedTokensOnBothEndpoints()
    {
        using HttpClient client = server.Client();
        string prompt = TokenPrompt(80, seed: 902);
        await RawApi.PostOkAsync(client, "v1/completions", $$"""{"prompt":{{prompt}},"max_tokens":4}""");
        List<JsonElement> events = await RawApi.StreamAsync(client, "v1/completions",
            $$$"""{"prompt":{{{prompt}}},"max_tokens":4,"stream":true,"stream_options":{"include_usage":true}}""");
        Assert.Equal(79, Cached(events[^1]));

        const string chat = """{"messages":[{"role":"system","content":"You answer in long sentences about the sea and its tides."},""" +
            """{"role":"user","content":"Tell me about waves, currents and the moon."}],"max_tokens":4""";
        JsonElement first = await RawApi.PostOkAsync(client, "v1/chat/completions", chat + "}");
        int promptTokens = first.GetProperty("usage").GetProperty("prompt_tokens").GetInt32();
        events = await RawApi.StreamAsync(client, "v1/chat/completions", chat + ""","stream":true,"stream_options":{"include_usage":true}}""");
        Assert.Equal(promptTokens - 1, Cached(events[^1]));
        JsonElement again = await RawApi.PostOkAsync(client, "v1/chat/completions", chat + "}");
        Assert.Equal(promptTokens - 1, Cached(again));
    }

    [Fact]
    public async Task TheOpenAISdkReadsCachedTokensOfAFollowUpTurn()
    {
        var client = new OpenAIClient(new ApiKeyCredential(ServerFixture.ApiKey), new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") });
        ChatClient chat = client.GetChatClient(server.ModelId);
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 8, Temperature = 0 };
        List<ChatMessage> messages = [new SystemChatMessage("You are a patient guide to the night sky."), new UserChatMessage("Which stars are brightest?")];
        ChatCompletion first = (await chat.CompleteChatAsync(messages, options)).Value;
        Assert.InRange(first.Usage.InputTokenDetails.CachedTokenCount, 0, first.Usage.InputTokenCount - 1); // earlier tests' prompts share its start

        // The next turn repeats the conversation so far: its earlier part is served from the slot that answered it.
        messages.Add(new AssistantChatMessage(first.Content.Count == 0 ? "" : first.Content[0].Text));
        messages.Add(new UserChatMessage("And the planets?"));
        ChatCompletion second = (await chat.CompleteChatAsync(messages, options)).Value;
        Assert.True(second.Usage.InputTokenDetails.CachedTokenCount >= first.Usage.InputTokenCount,
            $"cached {second.Usage.InputTokenDetails.CachedTokenCount}, the first turn's prompt was {first.Usage.InputTokenCount}");
        Assert.True(second.Usage.InputTokenDetails.CachedTokenCount < second.Usage.InputTokenCount);

        ChatTokenUsage? streamed = null;
        await foreach (StreamingChatCompletionUpdate update in chat.CompleteChatStreamingAsync(messages, options)) streamed ??= update.Usage;
        Assert.Equal(second.Usage.InputTokenCount - 1, streamed!.InputTokenDetails.CachedTokenCount);
    }

    [Fact]
    public void UsageCountsEachPromptsCacheOnceAsItsLeastCachedChoice()
    {
        var tally = new UsageTally(promptTokens: 30, choices: 4, choicesPerPrompt: 2);
        tally.Add(0, new Generation.GenerationUsage(10, 3) { CachedTokens = 9 });
        tally.Add(1, new Generation.GenerationUsage(10, 2) { CachedTokens = 4 });
        tally.Add(2, new Generation.GenerationUsage(20, 5) { CachedTokens = 19 });
        // choice 3 never reported (cancelled): nothing cached for its prompt
        var usage = tally.Usage();
        Assert.Equal((30, 10, 4), (usage.PromptTokens, usage.CompletionTokens, usage.PromptTokensDetails.CachedTokens));
    }
}
