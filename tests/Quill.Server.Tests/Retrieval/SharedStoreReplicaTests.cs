// Two `quill serve` replicas on one PostgreSQL store (a real server): a document added once is found by both at their next search.
using System.Text.Json;
using Quill.Embeddings;
using Quill.Models.Synthetic;
using Quill.Search;
using Quill.TestSupport.Postgres;

namespace Quill.Server.Tests.Retrieval;

/// <summary>The tests that share one <see cref="PostgresServer"/>.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}

[Collection(PostgresCollection.Name)]
public sealed class SharedStoreReplicaTests(PostgresServer postgres)
{
    [Fact]
    public async Task Replicas_search_one_corpus_and_see_a_new_document_at_their_next_search()
    {
        string folder = Directory.CreateTempSubdirectory("quill-replicas-").FullName;
        try
        {
            string cache = Path.Combine(folder, "cache"), docs = Path.Combine(folder, "docs");
            Directory.CreateDirectory(docs);
            File.WriteAllText(Path.Combine(docs, "router.md"), "Hold the reset button for ten seconds to reset the router.\n");
            string url = postgres.NewStoreUrl();
            using BertEmbedder embedder = DefaultEmbedder.Load(cache, threads: 1);
            using (var index = DocumentIndex.OpenOrCreate(url, embedder)) index.Add([docs]);
            string model = Path.Combine(folder, "m.gguf");
            SyntheticModelWriter.Write(model, new() { Dim = 32, Layers = 1, Heads = 2, KvHeads = 2, FeedForwardDim = 64 });
            var options = new ServerOptions { ModelPath = model, Port = 0, Store = url, Threads = 1, EmbeddingCacheFolder = cache };
            await using QuillServer first = await QuillServer.StartAsync(options);
            await using QuillServer second = await QuillServer.StartAsync(options);
            using var a = new HttpClient { BaseAddress = first.BaseAddress };
            using var b = new HttpClient { BaseAddress = second.BaseAddress };
            const string body = """{"query":"which planet has rings","max_num_results":1,"mode":"keyword"}""";
            Assert.Empty((await RawApi.PostOkAsync(a, "v1/vector_stores/vs_quill/search", body)).GetProperty("data").EnumerateArray());
            Assert.Empty((await RawApi.PostOkAsync(b, "v1/vector_stores/vs_quill/search", body)).GetProperty("data").EnumerateArray());

            File.WriteAllText(Path.Combine(docs, "saturn.md"), "Saturn is the planet with the widest rings.\n");
            using (var writer = DocumentIndex.Open(url, embedder)) writer.Add([docs]);  // `quill index add` on a third machine
            foreach (HttpClient client in new[] { a, b })
            {
                foreach (string mode in new[] { "keyword", "vector", "hybrid" })
                {
                    JsonElement page = await RawApi.PostOkAsync(client, "v1/vector_stores/vs_quill/search", body.Replace("keyword", mode));
                    Assert.Equal("saturn.md", page.GetProperty("data")[0].GetProperty("filename").GetString());
                }
                JsonElement store = JsonDocument.Parse(await client.GetStringAsync("v1/vector_stores/vs_quill")).RootElement;
                Assert.Equal(2, store.GetProperty("file_counts").GetProperty("total").GetInt32());
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
