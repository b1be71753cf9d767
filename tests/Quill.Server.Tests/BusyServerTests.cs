// A full queue answers 429, and a client that disconnects mid-stream frees its slot at once (seen in /metrics).
using System.Net;
using System.Text;
using System.Text.Json;

namespace Quill.Server.Tests;

public sealed class BusyServerTests(BusyServerFixture server) : IClassFixture<BusyServerFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A greedy completion that cannot end early: the prompt repeats the end token (id 2), and frequency_penalty over
    /// the whole context pushes its logit far down, so only max_tokens ends it: tens of thousands, so that even at full decode
    /// speed a hold outlasts the client disconnects and queue checks the tests make while it runs.
    /// </summary>
    private static string Hold(bool stream) =>
        $$"""{"prompt":[1,{{string.Join(',', Enumerable.Repeat(2, 32))}},100],"max_tokens":32000,"temperature":0,"frequency_penalty":2""" +
        $$""","stream":{{(stream ? "true" : "false")}}}""";

    private static HttpRequestMessage Post(string json) =>
        new(HttpMethod.Post, "v1/completions") { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    private async Task WaitForAsync(HttpClient client, string metric, double value)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (await RawApi.MetricAsync(client, metric) != value)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{metric} did not reach {value} within {Patience.TotalSeconds} s");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task FullQueueIs429AndClientsThatLeaveFreeSlotAndQueue()
    {
        using HttpClient client = server.Client();
        using var leave = new CancellationTokenSource();
        // A holds the only slot: its first event has arrived.
        HttpResponseMessage a = await client.SendAsync(Post(Hold(stream: true)), HttpCompletionOption.ResponseHeadersRead, leave.Token);
        Assert.Equal(HttpStatusCode.OK, a.StatusCode);
        var aEvents = new StreamReader(await a.Content.ReadAsStreamAsync(leave.Token));
        Assert.StartsWith("data: ", await aEvents.ReadLineAsync(leave.Token));
        // B waits in the queue of one.
        Task<HttpResponseMessage> b = client.SendAsync(Post(Hold(stream: true)), HttpCompletionOption.ResponseHeadersRead, leave.Token);
        await WaitForAsync(client, "quill_queue_depth", 1);
        // C finds the queue full.
        using (HttpResponseMessage c = await RawApi.PostAsync(client, "v1/completions", """{"prompt":"x","max_tokens":1}"""))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, c.StatusCode);
            JsonElement error = await RawApi.ErrorOf(c);
            Assert.Equal("queue_full", error.GetProperty("code").GetString());
        }
        leave.Cancel();
        a.Dispose();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b);
        await WaitForAsync(client, "quill_queue_depth", 0);
        await WaitForAsync(client, "quill_active_slots", 0);
        JsonElement after = await RawApi.PostOkAsync(client, "v1/completions", """{"prompt":"x","max_tokens":2}""");
        Assert.Equal(2, after.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task DisconnectMidStreamCancelsTheGenerationAndFreesTheSlot()
    {
        using HttpClient client = server.Client();
        double cancelledBefore = await RawApi.MetricAsync(client, "quill_generations_cancelled_total");
        using (var leave = new CancellationTokenSource())
        {
            HttpResponseMessage response = await client.SendAsync(Post(Hold(stream: true)), HttpCompletionOption.ResponseHeadersRead, leave.Token);
            var reader = new StreamReader(await response.Content.ReadAsStreamAsync(leave.Token));
            for (int events = 0; events < 3;)
                if ((await reader.ReadLineAsync(leave.Token))!.StartsWith("data: ", StringComparison.Ordinal)) events++;
            Assert.Equal(1, await RawApi.MetricAsync(client, "quill_active_slots"));
            leave.Cancel();
            response.Dispose();
        }
        await WaitForAsync(client, "quill_active_slots", 0);
        await WaitForAsync(client, "quill_generations_cancelled_total", cancelledBefore + 1);
    }

    [Fact]
    public async Task HoldingRequestReallyRunsToMaxTokens()
    {
        // The precondition of the tests above, on a shorter run: the end token is never drawn.
        using HttpClient client = server.Client();
        JsonElement r = await RawApi.PostOkAsync(client, "v1/completions", Hold(stream: false).Replace("\"max_tokens\":32000", "\"max_tokens\":600"));
        Assert.Equal("length", r.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(600, r.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }
}
