// 600 streaming clients that leave after their first event: afterwards no slot is busy and nothing waits in the queue.
using System.Net;
using System.Text;
using System.Text.Json;

namespace Quill.Server.Tests.Hardening;

[Collection(ServerCollection.Name)]
public sealed class DisconnectTests(ServerFixture server)
{
    private const int Clients = 600;
    private const int AtOnce = 48; // under the 4 slots plus the queue of 64, so that each client gets a stream, not a 429

    [Fact]
    public async Task Six_hundred_clients_leaving_mid_stream_leave_no_slot_busy()
    {
        using var gate = new SemaphoreSlim(AtOnce);
        int streamed = 0;
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(i => Task.Run(async () =>
        {
            await gate.WaitAsync();
            try
            {
                using HttpClient client = server.Client();
                string json = JsonSerializer.Serialize(new
                {
                    messages = new[] { new { role = "user", content = $"client {i}" } },
                    max_tokens = 200,
                    stream = true,
                    temperature = 1,
                    seed = i,
                });
                using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
                {
                    Content = new StringContent(json, Encoding.UTF8, "application/json"),
                };
                using HttpResponseMessage response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
                string? first = await reader.ReadLineAsync();
                Assert.StartsWith("data: ", first);
                Interlocked.Increment(ref streamed);
            } // disposing the response mid-stream closes the connection
            finally
            {
                gate.Release();
            }
        })));
        Assert.Equal(Clients, streamed);

        using HttpClient probe = server.Client();
        JsonElement health = default;
        for (int attempt = 0; attempt < 100; attempt++)
        {
            health = JsonDocument.Parse(await probe.GetStringAsync("health")).RootElement.Clone();
            if (health.GetProperty("active_slots").GetInt32() == 0 && health.GetProperty("queued_requests").GetInt32() == 0) break;
            await Task.Delay(50);
        }
        Assert.Equal(0, health.GetProperty("active_slots").GetInt32());
        Assert.Equal(0, health.GetProperty("queued_requests").GetInt32());
        Assert.Equal(0, await RawApi.MetricAsync(probe, "quill_active_slots"));
    }
}
