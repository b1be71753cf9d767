// The fuzz target over the HTTP routes: an in-process server on a tiny random model, mutated bodies POSTed to every route.
using System.Net.Http.Headers;
using System.Text;
using Quill.Models.Synthetic;
using Quill.Server;

namespace Quill.Fuzz;

/// <summary>An input is one byte naming the route, then the body. A 5xx or a dropped connection is a crash; every 4xx is fine.</summary>
internal sealed class HttpTarget : FuzzTarget
{
    private static readonly string[] Routes = ["v1/chat/completions", "v1/completions", "v1/embeddings", "tokenize", "detokenize"];
    private static readonly string[] Bodies =
    [
        """{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}],"max_tokens":3,"stop":["x"],"temperature":0.5}""",
        """{"prompt":["a","b"],"max_tokens":2,"n":2,"logprobs":2,"echo":true}""",
        """{"input":["hello","world"],"encoding_format":"base64"}""",
        """{"content":"hello <|im_start|>","with_pieces":true,"add_special":true}""",
        """{"tokens":[1,2,3]}""",
    ];

    private readonly Lazy<(QuillServer Server, HttpClient Client)> _server;

    public HttpTarget() => _server = new(Start);

    public override string Name => "http";

    public override IReadOnlyList<byte[]> Seeds() =>
    [
        .. Bodies.Select((b, i) => (byte[])[(byte)i, .. Encoding.UTF8.GetBytes(b)]),
        [0, .. Encoding.UTF8.GetBytes("""{"messages":[{"role":"user","content":"hi"}],"max_tokens":2,"stream":true,"stream_options":{}}""")],
        [0, .. Encoding.UTF8.GetBytes("""
            {"messages":[{"role":"user","content":"hi"}],"max_tokens":4,
             "response_format":{"type":"json_schema","json_schema":{"name":"s","schema":{"type":"object","properties":{"a":{"type":"integer"}}}}}}
            """)],
    ];

    public override byte[] Mutate(byte[] input, byte[] other, Random random)
    {
        if (input.Length == 0) return [(byte)random.Next(Routes.Length)];
        byte route = random.Next(10) == 0 ? (byte)random.Next(Routes.Length) : input[0];
        byte[] body = random.Next(4) == 0 ? Mutators.Bytes(input[1..], other.Length > 1 ? other[1..] : [], random) : Mutators.Json(input[1..], other, random);
        return [route, .. body];
    }

    public override void Run(byte[] input)
    {
        if (input.Length == 0) return;
        var (_, client) = _server.Value;
        var content = new ByteArrayContent(input[1..]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using HttpResponseMessage response = client.PostAsync(Routes[input[0] % Routes.Length], content).GetAwaiter().GetResult();
        string body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        if ((int)response.StatusCode >= 500) throw new InvalidOperationException($"HTTP {(int)response.StatusCode}: {body}");
    }

    public override bool IsExpected(Exception e) => false;

    private (QuillServer, HttpClient) Start()
    {
        string model = Path.Combine(Scratch, "model.gguf");
        SyntheticModelWriter.Write(model, new SyntheticModelOptions
        {
            Dim = 32, Layers = 1, Heads = 2, KvHeads = 2, FeedForwardDim = 64, ContextLength = 256,
            ChatTemplate = Quill.Tokenizers.ChatTemplates.ChatTemplate.BuiltIn("chatml").Source,
        });
        QuillServer server = QuillServer.StartAsync(new ServerOptions
        {
            ModelPath = model, Port = 0, Parallel = 2, ContextLength = 128, MaxRequestBodyBytes = 256 * 1024, Threads = 1,
            EmbeddingCacheFolder = Path.Combine(Scratch, "cache"),
        }).GetAwaiter().GetResult();
        var handler = new SocketsHttpHandler { MaxResponseDrainSize = 0 };
        return (server, new HttpClient(handler) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) });
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && _server.IsValueCreated)
        {
            _server.Value.Client.Dispose();
            _server.Value.Server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        base.Dispose(disposing);
    }
}
