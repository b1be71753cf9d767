// /v1/completions and the raw-HTTP corners of /v1/chat/completions: n choices, prompt lists, echo, stops, logprobs, usage.
using System.Text.Json;

namespace Quill.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class CompletionsTests(ServerFixture server)
{
    private static string TextOf(JsonElement response, int index) =>
        response.GetProperty("choices").EnumerateArray().Single(c => c.GetProperty("index").GetInt32() == index).GetProperty("text").GetString()!;

    [Fact]
    public async Task CompletionHasOpenAIShapeAndDefaultsToSixteenTokens()
    {
        using HttpClient client = server.Client();
        JsonElement r = await RawApi.PostOkAsync(client, "v1/completions", """{"prompt":"Once upon a time","temperature":0}""");
        Assert.Equal("text_completion", r.GetProperty("object").GetString());
        Assert.StartsWith("cmpl-", r.GetProperty("id").GetString());
        Assert.Equal(server.ModelId, r.GetProperty("model").GetString());
        JsonElement choice = r.GetProperty("choices").EnumerateArray().Single();
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        JsonElement usage = r.GetProperty("usage");
        int completion = usage.GetProperty("completion_tokens").GetInt32();
        Assert.Equal(completion == 16 ? "length" : "stop", choice.GetProperty("finish_reason").GetString());
        Assert.InRange(completion, 0, 16);
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + completion, usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task StreamedCompletionEqualsWholeAndEndsWithUsage()
    {
        using HttpClient client = server.Client();
        const string body = """{"prompt":"The sea","max_tokens":20,"seed":11,"stream":true,"stream_options":{"include_usage":true}}""";
        JsonElement whole = await RawApi.PostOkAsync(client, "v1/completions",
            body.Replace("\"stream\":true,\"stream_options\":{\"include_usage\":true}", "\"stream\":false"));
        List<JsonElement> events = await RawApi.StreamAsync(client, "v1/completions", body);
        string streamed = string.Concat(events.SelectMany(e => e.GetProperty("choices").EnumerateArray()).Select(c => c.GetProperty("text").GetString()));
        Assert.Equal(TextOf(whole, 0), streamed);
        JsonElement last = events[^1];
        Assert.Empty(last.GetProperty("choices").EnumerateArray());
        Assert.Equal(whole.GetProperty("usage").GetProperty("completion_tokens").GetInt32(),
            last.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.All(events[..^1], e => Assert.False(e.TryGetProperty("usage", out _)));
    }

    [Fact]
    public async Task ChoiceIOfNDrawsWithSeedPlusI()
    {
        using HttpClient client = server.Client();
        JsonElement three = await RawApi.PostOkAsync(client, "v1/completions", """{"prompt":"abc","max_tokens":10,"seed":100,"n":3}""");
        Assert.Equal([0, 1, 2], three.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("index").GetInt32()));
        for (int i = 0; i < 3; i++)
        {
            JsonElement alone = await RawApi.PostOkAsync(client, "v1/completions", $$"""{"prompt":"abc","max_tokens":10,"seed":{{100 + i}}}""");
            Assert.Equal(TextOf(alone, 0), TextOf(three, i));
        }
    }

    [Fact]
    public async Task PromptListGivesChoicesPerPromptAndN()
    {
        using HttpClient client = server.Client();
        JsonElement both = await RawApi.PostOkAsync(client, "v1/completions", """{"prompt":["red","green"],"max_tokens":5,"seed":5,"n":2,"temperature":0.7}""");
        Assert.Equal(4, both.GetProperty("choices").GetArrayLength());
        JsonElement green = await RawApi.PostOkAsync(client, "v1/completions", """{"prompt":"green","max_tokens":5,"seed":6,"temperature":0.7}""");
        Assert.Equal(TextOf(green, 0), TextOf(both, 3)); // prompt 1, choice 1: seed + 1
    }

    [Fact]
    public async Task TokenPromptEqualsTextPrompt()
    {
        using HttpClient client = server.Client();
        JsonElement tokens = await RawApi.PostOkAsync(client, "tokenize", """{"content":"hello world","add_special":true}""");
        string ids = tokens.GetProperty("tokens").GetRawText();
        JsonElement fromTokens = await RawApi.PostOkAsync(client, "v1/completions", $$"""{"prompt":{{ids}},"max_tokens":8,"temperature":0}""");
        JsonElement fromText = await RawApi.PostOkAsync(client, "v1/completions", """{"prompt":"hello world","max_tokens":8,"temperature":0}""");
        Assert.Equal(TextOf(fromText, 0), TextOf(fromTokens, 0));
        Assert.Equal(fromText.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), tokens.GetProperty("tokens").GetArrayLength());
    }

    [Fact]
    public async Task EchoPrependsThePrompt()
    {
        using HttpClient client = server.Client();
        JsonElement plain = await RawApi.PostOkAsync(client, "v1/completions", """{"prompt":"Echo me","max_tokens":4,"temperature":0}""");
        JsonElement echoed = await RawApi.PostOkAsync(client, "v1/completions", """{"prompt":"Echo me","max_tokens":4,"temperature":0,"echo":true}""");
        Assert.Equal("Echo me" + TextOf(plain, 0), TextOf(echoed, 0));
    }

    [Fact]
    public async Task StopCutsTheTextBeforeTheStopString()
    {
        using HttpClient client = server.Client();
        JsonElement free = await RawApi.PostOkAsync(client, "v1/completions", """{"prompt":"x","max_tokens":30,"temperature":0}""");
        string text = TextOf(free, 0);
        string stop = text.Substring(text.Length / 2, 1);
        JsonElement stopped = await RawApi.PostOkAsync(client, "v1/completions",
            JsonSerializer.Serialize(new { prompt = "x", max_tokens = 30, temperature = 0, stop = new[] { stop } }));
        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], TextOf(stopped, 0));
        Assert.Equal("stop", stopped.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task LogprobsAreParallelListsPerToken()
    {
        using HttpClient client = server.Client();
        JsonElement r = await RawApi.PostOkAsync(client, "v1/completions", """{"prompt":"Hi","max_tokens":5,"temperature":0,"logprobs":2}""");
        JsonElement lp = r.GetProperty("choices")[0].GetProperty("logprobs");
        int n = r.GetProperty("usage").GetProperty("completion_tokens").GetInt32();
        Assert.Equal(n, lp.GetProperty("tokens").GetArrayLength());
        Assert.Equal(n, lp.GetProperty("token_logprobs").GetArrayLength());
        Assert.Equal(n, lp.GetProperty("text_offset").GetArrayLength());
        Assert.All(lp.GetProperty("top_logprobs").EnumerateArray(), top => Assert.InRange(top.EnumerateObject().Count(), 1, 2));
        Assert.Equal(0, lp.GetProperty("text_offset")[0].GetInt32());
    }

    [Fact]
    public async Task ChatWithNStreamsEveryChoiceOnceWithItsRole()
    {
        using HttpClient client = server.Client();
        const string body = """{"messages":[{"role":"user","content":[{"type":"text","text":"Hello "},{"type":"text","text":"there"}]}],"max_tokens":8""" +
            ""","seed":9,"n":2,"stream":true}""";
        List<JsonElement> events = await RawApi.StreamAsync(client, "v1/chat/completions", body);
        JsonElement whole = await RawApi.PostOkAsync(client, "v1/chat/completions", body.Replace("\"stream\":true", "\"stream\":false"));
        for (int i = 0; i < 2; i++)
        {
            var choices = events.SelectMany(e => e.GetProperty("choices").EnumerateArray()).Where(c => c.GetProperty("index").GetInt32() == i).ToList();
            Assert.Equal("assistant", choices[0].GetProperty("delta").GetProperty("role").GetString());
            Assert.Single(choices, c => c.GetProperty("delta").TryGetProperty("role", out _));
            Assert.Single(choices, c => c.GetProperty("finish_reason").ValueKind == JsonValueKind.String);
            string wholeText = whole.GetProperty("choices")[i].GetProperty("message").GetProperty("content").GetString()!;
            Assert.Equal(wholeText, RawApi.ChatText(events, i));
        }
        Assert.All(events, e => Assert.Equal("chat.completion.chunk", e.GetProperty("object").GetString()));
    }

    [Fact]
    public async Task ChatPromptIsTheTemplateRendering()
    {
        using HttpClient client = server.Client();
        JsonElement chat = await RawApi.PostOkAsync(client, "v1/chat/completions", """{"messages":[{"role":"developer","content":"Rules"},""" +
            """{"role":"user","content":"Q"}],"max_tokens":6,"temperature":0}""");
        // The fixture's template: <|role|>content\n per message, then <|assistant|>; developer is passed as system.
        JsonElement text = await RawApi.PostOkAsync(client, "v1/completions",
            JsonSerializer.Serialize(new { prompt = "<|system|>Rules\n<|user|>Q\n<|assistant|>", max_tokens = 6, temperature = 0 }));
        Assert.Equal(TextOf(text, 0), chat.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(text.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), chat.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }
}
