// The non-OpenAI routes: /tokenize and /detokenize, /health, /metrics (Prometheus text) and the playground page at /.
using System.Net;
using System.Text.Json;

namespace Quill.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class OperationsTests(ServerFixture server)
{
    [Fact]
    public async Task TokenizeAndDetokenizeRoundTrip()
    {
        using HttpClient client = server.Client();
        JsonElement plain = await RawApi.PostOkAsync(client, "tokenize", """{"content":"the quick fox"}""");
        JsonElement withBos = await RawApi.PostOkAsync(client, "tokenize", """{"content":"the quick fox","add_special":true}""");
        int[] ids = plain.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()).ToArray();
        Assert.Equal(ids.Length + 1, withBos.GetProperty("tokens").GetArrayLength());
        Assert.Equal(1, withBos.GetProperty("tokens")[0].GetInt32()); // the synthetic vocabulary's BOS
        JsonElement text = await RawApi.PostOkAsync(client, "detokenize", JsonSerializer.Serialize(new { tokens = ids }));
        Assert.Equal("the quick fox", text.GetProperty("content").GetString());
        JsonElement pieces = await RawApi.PostOkAsync(client, "tokenize", """{"content":"the quick fox","with_pieces":true}""");
        Assert.Equal(ids, pieces.GetProperty("tokens").EnumerateArray().Select(p => p.GetProperty("id").GetInt32()));
        Assert.Equal("the quick fox", string.Concat(pieces.GetProperty("tokens").EnumerateArray().Select(p => p.GetProperty("piece").GetString())).TrimStart());
    }

    [Fact]
    public async Task HealthReportsSlots()
    {
        using HttpClient client = server.Client(key: null);
        JsonElement health = JsonDocument.Parse(await client.GetStringAsync("health")).RootElement;
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal(4, health.GetProperty("slots").GetInt32());
    }

    [Fact]
    public async Task MetricsAreWellFormedPrometheusText()
    {
        using HttpClient client = server.Client();
        await RawApi.PostOkAsync(client, "v1/completions", """{"prompt":"count me","max_tokens":3}""");
        using HttpResponseMessage response = await client.GetAsync("metrics");
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        string text = await response.Content.ReadAsStringAsync();
        string[] names =
        [
            "quill_requests_total", "quill_prompt_tokens_total", "quill_prompt_tokens_cached_total", "quill_completion_tokens_total",
            "quill_queue_depth",
            "quill_active_slots", "quill_time_to_first_token_seconds", "quill_tokens_per_second", "quill_generations_cancelled_total",
        ];
        foreach (string name in names) Assert.Contains($"# TYPE {name} ", text);
        Assert.Matches("""quill_requests_total\{route="/v1/completions",status="200"\} [1-9]""", text);
        Assert.Matches("""quill_time_to_first_token_seconds_bucket\{le="\+Inf"\} [1-9]""", text);
        Assert.True(await RawApi.MetricAsync(client, "quill_completion_tokens_total") >= 3);
        // Label values are quoted and may hold braces (route="/v1/vector_stores/{id}/search").
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            Assert.Matches("""^(# (HELP|TYPE) \w+ .+|\w+(\{(\w+="(\\.|[^"\\])*",?)*\})? ([-+0-9.eE]+|\+Inf))$""", line);
    }

    [Fact]
    public async Task RootServesThePlaygroundPageOrA404WhenNoneIsBuiltIn()
    {
        using HttpClient client = server.Client(key: null);
        using HttpResponseMessage response = await client.GetAsync("");
        bool builtIn = typeof(ServerAssembly).Assembly.GetManifestResourceNames().Contains("Playground/index.html");
        if (builtIn)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        }
        else
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            await RawApi.ErrorOf(response);
        }
    }

    [Fact]
    public async Task EveryEmbeddedPlaygroundFileIsServedWithItsContentType()
    {
        using HttpClient client = server.Client(key: null);
        foreach (string resource in typeof(ServerAssembly).Assembly.GetManifestResourceNames().Where(r => r.StartsWith("Playground/",
            StringComparison.Ordinal)))
        {
            using HttpResponseMessage response = await client.GetAsync(resource["Playground/".Length..]);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            string expected = Path.GetExtension(resource) switch { ".html" => "text/html", ".css" => "text/css", _ => "text/javascript" };
            Assert.Equal(expected, response.Content.Headers.ContentType?.MediaType);
        }
    }
}
