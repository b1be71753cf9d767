// Every POST route survives hostile bodies: a 4xx in OpenAI's error shape (or a normal answer), never a 5xx or a dropped connection.
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Quill.Server.Tests.Hardening;

[Collection(ServerCollection.Name)]
public sealed class MutatedBodyTests(ServerFixture server)
{
    public static TheoryData<MutatedBody> Cases() => new(MutatedBodyCases.All());

    [Fact]
    public void The_table_has_a_few_hundred_cases() => Assert.InRange(MutatedBodyCases.All().Count(), 300, 3000);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Hostile_body_is_never_a_server_error(MutatedBody c)
    {
        using HttpClient client = server.Client();
        using HttpResponseMessage response = await PostAsync(client, c);
        int status = (int)response.StatusCode;
        string body = await response.Content.ReadAsStringAsync(); // a dropped connection throws here
        Assert.True(status < 500, $"{c}: {status} {body}");
        if (c.MustReject) Assert.True(status is >= 400 and < 500, $"{c}: expected a 4xx, found {status} {Truncate(body)}");
        if (status >= 400) await RawApi.ErrorOf(response);
    }

    [Theory]
    [InlineData(MutatedBodyCases.Chat, """{"messages":[{"role":"user","content":"\ud800"}]}""", "messages[0].content")]
    [InlineData(MutatedBodyCases.Chat, """{"messages":[{"role":"user","content":"hi"}],"stop":["a","x\udc00"]}""", "stop[1]")]
    [InlineData(MutatedBodyCases.Completions, """{"prompt":["ok","\ud800"]}""", "prompt[1]")]
    [InlineData(MutatedBodyCases.Embeddings, """{"input":"\udbff"}""", "input")]
    [InlineData(MutatedBodyCases.Tokenize, """{"content":"\ud800"}""", "content")]
    [InlineData(MutatedBodyCases.Detokenize, """{"tokens":[1],"x":{"y":["\ud800"]}}""", "x.y[0]")]
    [InlineData(MutatedBodyCases.Search, """{"query":["ok","\udfff"]}""", "query[1]")]
    public async Task Lone_surrogate_is_a_400_naming_the_field(string path, string body, string param)
    {
        using HttpClient client = server.Client();
        using HttpResponseMessage response = await RawApi.PostAsync(client, path, body);
        JsonElement error = await RawApi.ErrorOf(response);
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal("invalid_string", error.GetProperty("code").GetString());
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, MutatedBody c)
    {
        Encoding encoding = c.ContentType.Contains("latin1", StringComparison.Ordinal) ? Encoding.Latin1 : Encoding.UTF8;
        var content = new ByteArrayContent(encoding.GetBytes(c.Body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(c.ContentType);
        return client.PostAsync(c.Path, content);
    }

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
