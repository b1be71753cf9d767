// Raw HTTP calls the tests share: JSON posts, reading OpenAI error bodies and server-sent event streams; not assertions.
using System.Net;
using System.Text;
using System.Text.Json;

namespace Quill.Server.Tests;

internal static class RawApi
{
    public static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string json, CancellationToken ct = default) =>
        client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), ct);

    /// <summary>Posts and parses a 200 JSON answer (fails with the body otherwise).</summary>
    public static async Task<JsonElement> PostOkAsync(HttpClient client, string path, string json)
    {
        using HttpResponseMessage response = await PostAsync(client, path, json);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>The OpenAI error object of a response, checking its shape: message and type strings, param and code present.</summary>
    public static async Task<JsonElement> ErrorOf(HttpResponseMessage response)
    {
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString());
        JsonElement root = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        JsonElement error = root.GetProperty("error");
        Assert.Equal(JsonValueKind.String, error.GetProperty("message").ValueKind);
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.True(error.TryGetProperty("param", out _), "error.param is missing");
        Assert.True(error.TryGetProperty("code", out _), "error.code is missing");
        return error;
    }

    /// <summary>Posts a streaming request and returns every event before [DONE] (failing when [DONE] is missing).</summary>
    public static async Task<List<JsonElement>> StreamAsync(HttpClient client, string path, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        using HttpResponseMessage response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<JsonElement>();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0) continue;
            Assert.StartsWith("data: ", line);
            string data = line["data: ".Length..];
            if (data == "[DONE]") return events;
            events.Add(JsonDocument.Parse(data).RootElement.Clone());
        }
        Assert.Fail("the stream ended without data: [DONE]");
        return events;
    }

    /// <summary>The text of a chat stream's choice <paramref name="index"/>, joined from its deltas.</summary>
    public static string ChatText(IEnumerable<JsonElement> events, int index = 0)
    {
        var text = new StringBuilder();
        foreach (JsonElement e in events)
            foreach (JsonElement choice in e.GetProperty("choices").EnumerateArray())
                if (choice.GetProperty("index").GetInt32() == index && choice.GetProperty("delta").TryGetProperty("content", out JsonElement c))
                    text.Append(c.GetString());
        return text.ToString();
    }

    /// <summary>The value of a metric line "name value" in Prometheus text.</summary>
    public static async Task<double> MetricAsync(HttpClient client, string name)
    {
        string text = await client.GetStringAsync("metrics");
        foreach (string line in text.Split('\n'))
            if (line.StartsWith(name + " ", StringComparison.Ordinal))
                return double.Parse(line[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Fail($"/metrics has no {name}:\n{text}");
        return 0;
    }
}
