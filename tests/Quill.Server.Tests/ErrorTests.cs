// Every way a client can be wrong, over raw HTTP: the status code and OpenAI's error object (type, param, code).
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Quill.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class ErrorTests(ServerFixture server)
{
    private const string Chat = "v1/chat/completions";
    private const string User = """[{"role":"user","content":"hi"}]""";

    public static TheoryData<string, string, int, string?, string?> BadBodies => new()
    {
        // path, body, status, param, code
        { Chat, "{not json", 400, null, "invalid_json" },
        { Chat, "", 400, null, "invalid_json" },
        { Chat, "null", 400, null, "invalid_json" },
        { Chat, "[1,2]", 400, null, "invalid_json" },
        { Chat, $$"""{"messages":{{User}},"temperature":"hot"}""", 400, "temperature", "invalid_type" },
        { Chat, """{"messages":"hi"}""", 400, "messages", "invalid_type" },
        { Chat, """{"messages":[{"role":"user","content":5}]}""", 400, "messages[0].content", "invalid_type" },
        {
            Chat, """{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}""", 400, "messages[0].content[0].type",
            "invalid_value"
        },
        { Chat, """{"messages":[{"role":"robot","content":"x"}]}""", 400, "messages[0].role", "invalid_value" },
        { Chat, $$"""{"messages":{{User}},"max_tokens":1.5}""", 400, "max_tokens", "invalid_type" },
        { Chat, $$"""{"messages":{{User}},"max_tokens":0}""", 400, "max_tokens", "invalid_value" },
        { Chat, $$"""{"messages":{{User}},"temperature":2.5}""", 400, "temperature", "invalid_value" },
        { Chat, $$"""{"messages":{{User}},"top_p":1.5}""", 400, "top_p", "invalid_value" },
        { Chat, $$"""{"messages":{{User}},"presence_penalty":-3}""", 400, "presence_penalty", "invalid_value" },
        { Chat, $$"""{"messages":{{User}},"n":0}""", 400, "n", "invalid_value" },
        { Chat, $$"""{"messages":{{User}},"stop":7}""", 400, "stop", "invalid_type" },
        { Chat, $$"""{"messages":{{User}},"stop":["ok",3]}""", 400, "stop[1]", "invalid_type" },
        { Chat, $$"""{"messages":{{User}},"top_logprobs":2}""", 400, "top_logprobs", null },
        { Chat, $$$"""{"messages":{{{User}}},"stream_options":{"include_usage":true}}""", 400, "stream_options", null },
        { Chat, $$$"""{"messages":{{{User}}},"response_format":{"type":"yaml"}}""", 400, "response_format.type", null },
        { Chat, """{"messages":[]}""", 400, "messages", "empty_array" },
        { Chat, """{"model":"quill-synthetic-llama-64x2"}""", 400, "messages", "missing_required_parameter" },
        { Chat, $$"""{"model":"gpt-4o","messages":{{User}}}""", 404, "model", "model_not_found" },
        { Chat, $$"""{"model":"all-MiniLM-L6-v2","messages":{{User}}}""", 400, "model", "model_not_supported" },
        { "v1/completions", """{"prompt":{"text":"x"}}""", 400, "prompt", "invalid_type" },
        { "v1/completions", """{"prompt":[1,99999]}""", 400, "prompt[1]", "invalid_value" },
        { "v1/completions", """{"prompt":"x","logprobs":true}""", 400, "logprobs", "invalid_type" },
        { "v1/completions", """{"prompt":"x","suffix":"y"}""", 400, "suffix", "unsupported_parameter" },
        { "v1/completions", """{"model":"nope","prompt":"x"}""", 404, "model", "model_not_found" },
        { "v1/embeddings", """{"input":[]}""", 400, "input", "empty_array" },
        { "v1/embeddings", """{"input":[[1,2]]}""", 400, "input[0]", "unsupported_parameter" },
        { "v1/embeddings", """{"input":"x","encoding_format":"hex"}""", 400, "encoding_format", "invalid_value" },
        { "v1/embeddings", """{"input":"x","model":"quill-synthetic-llama-64x2"}""", 400, "model", "model_not_supported" },
        { "v1/embeddings", """{"input":"x","model":"text-embedding-3-small"}""", 404, "model", "model_not_found" },
        { "tokenize", """{"add_special":true}""", 400, "content", "missing_required_parameter" },
        { "detokenize", """{"tokens":[1,-4]}""", 400, "tokens[1]", "invalid_value" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task BadRequestIsAnsweredInOpenAIShape(string path, string body, int status, string? param, string? code)
    {
        using HttpClient client = server.Client();
        using HttpResponseMessage response = await RawApi.PostAsync(client, path, body);
        JsonElement error = await RawApi.ErrorOf(response);
        Assert.True(status == (int)response.StatusCode, $"{(int)response.StatusCode} {error}");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        if (code is not null) Assert.Equal(code, error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task PromptLongerThanTheContextIs400()
    {
        using HttpClient client = server.Client();
        string longText = string.Join(' ', Enumerable.Repeat("lorem ipsum dolor", 200));
        foreach (var (path, body, param) in new[]
        {
            ("v1/completions", JsonSerializer.Serialize(new { prompt = longText }), "prompt"),
            (Chat, JsonSerializer.Serialize(new { messages = new[] { new { role = "user", content = longText } } }), "messages"),
        })
        {
            using HttpResponseMessage response = await RawApi.PostAsync(client, path, body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            JsonElement error = await RawApi.ErrorOf(response);
            Assert.Equal(param, error.GetProperty("param").GetString());
            Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
        }
    }

    [Theory]
    [InlineData("GET", "v1/nothing-here")]
    [InlineData("POST", "v2/chat/completions")]
    [InlineData("GET", "v1/chat/completions")]
    [InlineData("GET", "favicon.ico")]
    public async Task UnknownRouteIs404(string method, string path)
    {
        using HttpClient client = server.Client();
        using HttpResponseMessage response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("unknown_url", (await RawApi.ErrorOf(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task UnknownModelByIdIs404()
    {
        using HttpClient client = server.Client();
        using HttpResponseMessage response = await client.GetAsync("v1/models/gpt-4");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("model_not_found", (await RawApi.ErrorOf(response)).GetProperty("code").GetString());
    }

    [Theory]
    [InlineData(null, "v1/models")]
    [InlineData("wrong-key", "v1/models")]
    [InlineData(null, "v1/chat/completions")]
    [InlineData("wrong-key", "tokenize")]
    [InlineData(null, "metrics")]
    public async Task MissingOrWrongKeyIs401(string? key, string path)
    {
        using HttpClient client = server.Client(key);
        using HttpResponseMessage response = path == "v1/models" || path == "metrics"
            ? await client.GetAsync(path)
            : await RawApi.PostAsync(client, path, "{}");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_api_key", (await RawApi.ErrorOf(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task HealthNeedsNoKey()
    {
        using HttpClient client = server.Client(key: null);
        JsonElement health = JsonDocument.Parse(await client.GetStringAsync("health")).RootElement;
        Assert.Equal("ok", health.GetProperty("status").GetString());
    }

    [Fact]
    public async Task BodyOverTheLimitIs413()
    {
        using HttpClient client = server.Client();
        string padding = new('x', (int)ServerFixture.BodyLimit + 1024);
        using var content = new StringContent($$"""{"prompt":"{{padding}}"}""", Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await client.PostAsync("v1/completions", content);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("request_too_large", (await RawApi.ErrorOf(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task ChunkedBodyOverTheLimitIs413()
    {
        using HttpClient client = server.Client();
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes($$"""{"input":"{{new string('y', (int)ServerFixture.BodyLimit * 2)}}"}""")));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/embeddings") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using HttpResponseMessage response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await RawApi.ErrorOf(response);
    }
}
