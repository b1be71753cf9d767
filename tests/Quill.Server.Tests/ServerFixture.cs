// Starts one real QuillServer on a free loopback port over a random-weight Llama GGUF with a chat template; not a test.
using System.Net.Http.Headers;
using Quill.Models.Synthetic;

namespace Quill.Server.Tests;

/// <summary>
/// The model is tiny (dim 64, 2 layers, the synthetic 512-token vocabulary) so every test runs in milliseconds of
/// compute; the server has an API key, a 256-token context and a small body limit so that the error cases are cheap.
/// The built-in all-MiniLM-L6-v2 is the embedding model, converted into a temporary cache on the first request.
/// The main fixture also serves a small document store (SQLite, built with that embedder) at /v1/vector_stores.
/// </summary>
public class ServerFixture : IAsyncLifetime
{
    public const string ApiKey = "test-key";
    public const int ContextLength = 256;
    public const long BodyLimit = 64 * 1024;

    public const string Template =
        "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}";

    private readonly string _folder = Directory.CreateTempSubdirectory("quill-server-").FullName;
    private QuillServer? _server;

    public QuillServer Server => _server ?? throw new InvalidOperationException("the server has not started");
    public Uri BaseAddress => Server.BaseAddress;
    public string ModelId => Server.ModelIds[0];
    public string EmbeddingModelId => Server.ModelIds[1];

    protected virtual SyntheticModelOptions Model
        => new() { Dim = 64, Layers = 2, Heads = 4, KvHeads = 4, FeedForwardDim = 128, ContextLength = 512, ChatTemplate = Template };

    /// <summary>The documents in the store the main fixture serves: file name and text.</summary>
    public static readonly (string Name, string Text)[] Documents =
    [
        ("router.md", "# Router\nHold the reset button for ten seconds to reset the router.\n\n## Wifi\nThe wifi password is printed on the sticker.\n"),
        ("fruit.txt", "Bananas are yellow.\n\nApples are red or green and crunchy.\n"),
        ("space.txt", "The telescope photographed a distant galaxy. Error XR-7741 means the mirror is misaligned.\n"),
    ];

    /// <summary>Only the main fixture builds and serves a document store; the others test other things and skip the cost.</summary>
    protected virtual bool ServesDocuments => GetType() == typeof(ServerFixture);

    /// <summary>The document store's SQLite file (served when <see cref="ServesDocuments"/>).</summary>
    public string StorePath => Path.Combine(_folder, "docs.db");

    /// <summary>The folder of <see cref="Documents"/>.</summary>
    public string DocumentFolder => Path.Combine(_folder, "docs");

    protected virtual ServerOptions Options(string modelPath) => new()
    {
        Store = ServesDocuments ? StorePath : null,
        ModelPath = modelPath,
        Port = 0,
        ApiKey = ApiKey,
        Parallel = 4,
        ContextLength = ContextLength,
        MaxRequestBodyBytes = BodyLimit,
        Threads = 1,
        EmbeddingCacheFolder = Path.Combine(_folder, "cache"),
    };

    public async Task InitializeAsync()
    {
        string path = Path.Combine(_folder, "model.gguf");
        SyntheticModelWriter.Write(path, Model);
        if (ServesDocuments)
        {
            Directory.CreateDirectory(DocumentFolder);
            foreach ((string name, string text) in Documents) File.WriteAllText(Path.Combine(DocumentFolder, name), text);
            using var embedder = Quill.Embeddings.DefaultEmbedder.Load(Path.Combine(_folder, "cache"), threads: 1);
            using var index = Quill.Search.DocumentIndex.OpenOrCreate(StorePath, embedder);
            index.Add([DocumentFolder]);
        }
        _server = await QuillServer.StartAsync(Options(path));
    }

    /// <summary>An HttpClient on the server that sends the API key.</summary>
    public HttpClient Client(string? key = ApiKey)
    {
        // No draining of a response left half-read: disposing it closes the connection at once, as a client that
        // goes away does (the default drains up to 1 MB for 2 s, during which the server keeps generating).
        var handler = new SocketsHttpHandler { MaxResponseDrainSize = 0, ResponseDrainTimeout = TimeSpan.Zero };
        var client = new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "server";
}
