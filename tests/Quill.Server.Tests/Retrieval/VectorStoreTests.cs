// /v1/vector_stores over the main fixture's document store: the OpenAI shapes, the search modes and every bad request.
using System.Text.Json;
using Quill.Search;

namespace Quill.Server.Tests.Retrieval;

[Collection(ServerCollection.Name)]
public sealed class VectorStoreTests(ServerFixture server)
{
    private const string Search = "v1/vector_stores/vs_quill/search";

    [Fact]
    public async Task The_store_is_listed_and_described_the_openai_way()
    {
        using HttpClient client = server.Client();
        JsonElement list = JsonDocument.Parse(await client.GetStringAsync("v1/vector_stores")).RootElement;
        Assert.Equal("list", list.GetProperty("object").GetString());
        JsonElement store = Assert.Single(list.GetProperty("data").EnumerateArray());
        Assert.Equal(("vs_quill", "vector_store", "completed"),
            (store.GetProperty("id").GetString(), store.GetProperty("object").GetString(), store.GetProperty("status").GetString()));
        Assert.Equal(ServerFixture.Documents.Length, store.GetProperty("file_counts").GetProperty("completed").GetInt32());
        Assert.Equal(server.StorePath, store.GetProperty("name").GetString());
        JsonElement byDefault = JsonDocument.Parse(await client.GetStringAsync("v1/vector_stores/default")).RootElement;
        Assert.Equal("vs_quill", byDefault.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Search_returns_a_results_page_with_the_chunk_text_and_its_place()
    {
        using HttpClient client = server.Client();
        JsonElement page = await RawApi.PostOkAsync(client, Search, """{"query":"how long do I hold the reset button","max_num_results":2}""");
        Assert.Equal("vector_store.search_results.page", page.GetProperty("object").GetString());
        Assert.Equal("how long do I hold the reset button", page.GetProperty("search_query")[0].GetString());
        Assert.False(page.GetProperty("has_more").GetBoolean());
        JsonElement[] data = [.. page.GetProperty("data").EnumerateArray()];
        Assert.Equal(2, data.Length);
        JsonElement best = data[0];
        string path = Path.Combine(server.DocumentFolder, "router.md");
        Assert.Equal(("router.md", VectorStoreEndpointsFileId(path)), (best.GetProperty("filename").GetString(), best.GetProperty("file_id").GetString()));
        Assert.Equal(path, best.GetProperty("attributes").GetProperty("path").GetString());
        Assert.Equal(1, best.GetProperty("attributes").GetProperty("start_line").GetInt32());
        JsonElement content = Assert.Single(best.GetProperty("content").EnumerateArray());
        Assert.Equal("text", content.GetProperty("type").GetString());
        Assert.Contains("reset button", content.GetProperty("text").GetString());
        Assert.True(best.GetProperty("score").GetDouble() >= data[1].GetProperty("score").GetDouble());
    }

    [Fact]
    public async Task Modes_several_queries_and_a_score_threshold()
    {
        using HttpClient client = server.Client();
        JsonElement keyword = await RawApi.PostOkAsync(client, Search, """{"query":"XR-7741","mode":"keyword"}""");
        Assert.Equal("space.txt", Assert.Single(keyword.GetProperty("data").EnumerateArray()).GetProperty("filename").GetString());
        JsonElement vector = await RawApi.PostOkAsync(client, Search, """{"query":"yellow bananas","mode":"vector","max_num_results":1}""");
        JsonElement hit = Assert.Single(vector.GetProperty("data").EnumerateArray());
        Assert.Equal("fruit.txt", hit.GetProperty("filename").GetString());
        Assert.InRange(hit.GetProperty("score").GetDouble(), 0.3, 1.0);  // a cosine
        JsonElement both = await RawApi.PostOkAsync(client, Search, """{"query":["wifi password","distant galaxy"],"max_num_results":2}""");
        Assert.Equal(["router.md", "space.txt"], both.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("filename").GetString()!).Order());
        JsonElement strict = await RawApi.PostOkAsync(client, Search,
            """{"query":"yellow bananas","mode":"vector","ranking_options":{"score_threshold":0.99}}""");
        Assert.Empty(strict.GetProperty("data").EnumerateArray());
    }

    [Theory]
    [InlineData(Search, """{}""", 400, "query", "missing_required_parameter")]
    [InlineData(Search, """{"query":[]}""", 400, "query", "invalid_value")]
    [InlineData(Search, """{"query":"  "}""", 400, "query", "invalid_value")]
    [InlineData(Search, """{"query":[1]}""", 400, "query", "invalid_type")]
    [InlineData(Search, """{"query":{"a":1}}""", 400, "query", "invalid_type")]
    [InlineData(Search, """{"query":"x","max_num_results":0}""", 400, "max_num_results", "invalid_value")]
    [InlineData(Search, """{"query":"x","max_num_results":51}""", 400, "max_num_results", "invalid_value")]
    [InlineData(Search, """{"query":"x","filters":{"type":"eq","key":"a","value":1}}""", 400, "filters", "unsupported_parameter")]
    [InlineData(Search, """{"query":"x","rewrite_query":true}""", 400, "rewrite_query", "unsupported_parameter")]
    [InlineData(Search, """{"query":"x","ranking_options":{"score_threshold":-1}}""", 400, "ranking_options.score_threshold", "invalid_value")]
    [InlineData(Search, """{"query":"x","ranking_options":{"ranker":"magic"}}""", 400, "ranking_options.ranker", "invalid_value")]
    [InlineData(Search, """{"query":"x","mode":"fuzzy"}""", 400, "mode", "invalid_value")]
    [InlineData("v1/vector_stores/vs_other/search", """{"query":"x"}""", 404, "vector_store_id", "vector_store_not_found")]
    public async Task Bad_searches_are_openai_errors(string path, string body, int status, string param, string code)
    {
        using HttpClient client = server.Client();
        using HttpResponseMessage response = await RawApi.PostAsync(client, path, body);
        JsonElement error = await RawApi.ErrorOf(response);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal((param, code), (error.GetProperty("param").GetString(), error.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task The_routes_need_the_api_key_and_an_unknown_store_is_404()
    {
        using HttpClient anonymous = server.Client(key: null);
        using HttpResponseMessage refused = await anonymous.GetAsync("v1/vector_stores");
        Assert.Equal(401, (int)refused.StatusCode);
        using HttpClient client = server.Client();
        using HttpResponseMessage missing = await client.GetAsync("v1/vector_stores/vs_nope");
        Assert.Equal(404, (int)missing.StatusCode);
        Assert.Equal("vector_store_not_found", (await RawApi.ErrorOf(missing)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_missing_store_or_one_of_another_model_stops_the_server_at_start_with_one_line()
    {
        string folder = Directory.CreateTempSubdirectory("quill-store-start-").FullName;
        try
        {
            string model = Path.Combine(folder, "m.gguf");
            Quill.Models.Synthetic.SyntheticModelWriter.Write(model, new() { Dim = 32, Layers = 1, Heads = 2, KvHeads = 2, FeedForwardDim = 64 });
            var missing = await Assert.ThrowsAsync<FileNotFoundException>(() =>
                QuillServer.StartAsync(new ServerOptions { ModelPath = model, Port = 0, Store = Path.Combine(folder, "none.db") }));
            Assert.Contains("no such vector store", missing.Message);
            string other = Path.Combine(folder, "hash.db");
            File.WriteAllText(Path.Combine(folder, "a.txt"), "some text");
            using (var embedder = new HashingEmbedder())
            using (var index = DocumentIndex.OpenOrCreate(other, embedder)) index.Add([Path.Combine(folder, "a.txt")]);
            var wrong = await Assert.ThrowsAsync<InvalidDataException>(() =>
                QuillServer.StartAsync(new ServerOptions { ModelPath = model, Port = 0, Store = other }));
            Assert.Contains("found a store built with 'test-hash-64'; use --embedding-model test-hash-64 or another --store", wrong.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string VectorStoreEndpointsFileId(string path) => Endpoints.VectorStoreEndpoints.FileId(path);

}
