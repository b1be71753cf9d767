// Sixteen clients streaming at once: every stream finishes, and each equals the same request run alone with the same seed.
using System.Text.Json;

namespace Quill.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class ConcurrencyTests(ServerFixture server)
{
    private const int Clients = 16;

    private static string Request(int i) => JsonSerializer.Serialize(new
    {
        messages = new[] { new { role = "user", content = $"Client {i} asks about topic {i * 7 % 5}" } },
        max_tokens = 12 + i % 5,
        temperature = 1,
        seed = 1000 + i,
        stream = true,
    });

    private static (string Text, string Finish) Outcome(List<JsonElement> events)
    {
        string finish = events.SelectMany(e => e.GetProperty("choices").EnumerateArray())
            .Select(c => c.GetProperty("finish_reason")).Single(f => f.ValueKind == JsonValueKind.String).GetString()!;
        return (RawApi.ChatText(events), finish);
    }

    [Fact]
    public async Task SixteenConcurrentStreamsEachEqualTheirRunAlone()
    {
        using HttpClient client = server.Client();
        var alone = new (string Text, string Finish)[Clients];
        for (int i = 0; i < Clients; i++) alone[i] = Outcome(await RawApi.StreamAsync(client, "v1/chat/completions", Request(i)));

        var together = await Task.WhenAll(Enumerable.Range(0, Clients).Select(i => Task.Run(async () =>
        {
            using HttpClient own = server.Client();
            return Outcome(await RawApi.StreamAsync(own, "v1/chat/completions", Request(i)));
        })));

        for (int i = 0; i < Clients; i++) Assert.Equal(alone[i], together[i]);
        Assert.True(alone.Select(a => a.Text).Distinct().Count() > Clients / 2, "the requests should differ from one another");
        Assert.Equal(0, await RawApi.MetricAsync(client, "quill_active_slots"));
    }
}
