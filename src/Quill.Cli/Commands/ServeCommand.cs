// `quill serve`: starts the OpenAI-compatible server and the playground, prints where, runs until Ctrl+C; the server is Quill.Server's.
using System.CommandLine;
using Quill.Server;
using Quill.Server.Guard;

namespace Quill.Cli.Commands;

internal static class ServeCommand
{
    public const string ApiKeyVariable = "QUILL_API_KEY";

    public static Command Create()
    {
        var model = CommonOptions.Model();
        var embeddingModel = new Option<string?>("--embedding-model")
        {
            Description =
                "The model for /v1/embeddings: a bert or gpt2 GGUF, a BERT .onnx, or a Hugging Face folder (default: all-MiniLM-L6-v2, built in, loaded on " +
                "first use)",
        };
        var host = new Option<string>("--host") { Description = "The address to listen on (default: loopback only)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "The TCP port (0 picks a free one)", DefaultValueFactory = _ => 8080 };
        var apiKey = new Option<string?>("--api-key")
        {
            Description = $"Require 'Authorization: Bearer KEY' on the API (not on the page or /health); default: ${ApiKeyVariable}, else no key",
        };
        var parallel = new Option<int>("--parallel", "-np") { Description = "Requests decoded together (KV cache slots)", DefaultValueFactory = _ => 4 };
        var context = new Option<int>("--ctx", "-c")
        {
            Description = "Tokens per request, prompt plus completion (default: the model's)",
            DefaultValueFactory = _ => 0
        };
        var queue = new Option<int>("--queue") { Description = "Requests that may wait for a slot; more get 429", DefaultValueFactory = _ => 64 };
        var noCachePrompt = new Option<bool>("--no-cache-prompt")
        {
            Description = "Compute every prompt whole instead of reusing the longest prefix a slot's KV cache holds from its last request",
        };
        var drain = new Option<int>("--drain-seconds")
        {
            Description = "On SIGTERM or Ctrl+C: stop accepting, let requests in flight finish this long (/health says draining), then stop",
            DefaultValueFactory = _ => 25,
        };
        var threads = CommonOptions.Threads();
        var hugePages = CommonOptions.HugePages();
        var lora = GenerateCommand.LoraOption();
        var kvType = CommonOptions.KvType();
        var guard = new Option<string>("--guard")
        {
            Description = "Prompt-injection guard over user messages and tool results: off, flag (serve, record the score, count in /metrics) " +
                "or block (400 content_filter)",
            DefaultValueFactory = _ => "off",
            HelpName = "off|flag|block",
        };
        var guardThreshold = new Option<double?>("--guard-threshold") { Description = "Guard scores at or above are injections (default: the model's)" };
        var guardCanary = new Option<bool>("--guard-canary")
        {
            Description = "Add a random canary to each chat's system prompt; a reply that repeats it ends with finish_reason content_filter",
        };
        var store = new Option<string?>("--store")
        {
            Description = "Documents to search at /v1/vector_stores/vs_quill/search: a store `quill index add` built (SQLite file or postgres:// URL)",
        };
        var guardModel = new Option<string?>("--guard-model") { Description = "A guard.json from `quill guard train` (default: the shipped model)" };
        var command = new Command("serve", "Serve a model over an OpenAI-compatible HTTP API, with a playground page at /\n" +
            "  routes: /v1/models, /v1/completions, /v1/chat/completions, /v1/embeddings, /v1/vector_stores, /tokenize, /detokenize, /health, /metrics\n" +
            "  example: quill serve -m model.gguf --port 8080 --parallel 4\n" +
            "  example: quill serve -m model.gguf --guard block --guard-canary   (refuse prompt injections, stop system-prompt leaks)\n" +
            "  example: quill serve -m model.gguf --log requests.db --drift-reference reference.jsonl\n" +
            "  example: quill serve -m model.gguf --store postgres://quill@db:5432/docs   (replicas share one document index)")
        {
            model, embeddingModel, host, port, apiKey, parallel, context, queue, noCachePrompt, drain, threads, hugePages, lora, kvType, guard, guardThreshold,
            guardCanary, guardModel, store,
        };
        var requestLog = new RequestLogFlags();
        requestLog.AddTo(command);
        command.SetAction((r, ct) => CliErrors.RunAsync(async () =>
        {
            var options = new ServerOptions
            {
                ModelPath = r.GetValue(model)!,
                LoraAdapters = r.GetValue(lora) ?? [],
                EmbeddingModel = r.GetValue(embeddingModel),
                Store = r.GetValue(store),
                Host = r.GetValue(host)!,
                Port = r.GetValue(port),
                ApiKey = r.GetValue(apiKey) ?? (Environment.GetEnvironmentVariable(ApiKeyVariable) is { Length: > 0 } key ? key : null),
                Parallel = r.GetValue(parallel),
                ContextLength = r.GetValue(context),
                QueueCapacity = r.GetValue(queue),
                CachePrompt = !r.GetValue(noCachePrompt),
                Threads = r.GetValue(threads),
                HugePages = r.GetValue(hugePages),
                KvCacheType = CommonOptions.KvType(r, kvType),
                DrainTimeout = TimeSpan.FromSeconds(r.GetValue(drain)),
                Guard = Enum.TryParse(r.GetValue(guard), ignoreCase: true, out GuardMode mode) && !int.TryParse(r.GetValue(guard), out _) ? mode
                    : throw new ArgumentException($"--guard must be off, flag or block, found '{r.GetValue(guard)}'"),
                GuardThreshold = r.GetValue(guardThreshold),
                GuardCanary = r.GetValue(guardCanary),
                GuardModelPath = r.GetValue(guardModel),
                RequestLog = requestLog.Read(r),
            };
            if (!File.Exists(options.ModelPath)) throw new FileNotFoundException($"{options.ModelPath}: no such model file", options.ModelPath);
            Console.Error.WriteLine($"loading {options.ModelPath} ...");
            QuillServer server = await QuillServer.StartAsync(options, ct);
            try
            {
                Console.Out.WriteLine($"serving {server.ModelIds[0]} (embeddings: {server.ModelIds[1]}) at {server.BaseAddress}");
                Console.Out.WriteLine($"  playground {server.BaseAddress}   OpenAI base URL {server.BaseAddress}v1" +
                    (options.ApiKey is null ? "   no API key" : "   API key required"));
                if (options.Store is not null) Console.Out.WriteLine($"  documents: POST {server.BaseAddress}v1/vector_stores/vs_quill/search");
                Console.Out.WriteLine($"  Ctrl+C or SIGTERM stops (requests in flight get {options.DrainTimeout.TotalSeconds:0} s to finish)");
                Console.Out.Flush();
                await server.WaitForShutdownAsync(ct);
            }
            finally
            {
                await server.DisposeAsync();
            }
            Console.Error.WriteLine("stopped");
            return 0;
        }));
        return command;
    }
}
