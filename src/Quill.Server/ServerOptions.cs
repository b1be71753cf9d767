// How `quill serve` is configured: models, address, key, batching sizes, limits.
using Quill.Models;
using Quill.Server.Guard;

namespace Quill.Server;

/// <summary>Settings of a <see cref="QuillServer"/>. Only <see cref="ModelPath"/> is required.</summary>
public sealed record ServerOptions
{
    /// <summary>The generative model (GGUF) served by /v1/completions and /v1/chat/completions.</summary>
    public required string ModelPath { get; init; }

    /// <summary>
    /// The embedding model for /v1/embeddings (a GGUF, ONNX or Hugging Face folder, see EmbedderCatalog), loaded at
    /// start. Null serves the built-in all-MiniLM-L6-v2, listed by /v1/models always and loaded on the first request.
    /// </summary>
    public string? EmbeddingModel { get; init; }

    /// <summary>
    /// The document store (a SQLite file or a postgres:// URL that `quill index add` built with the served embedding
    /// model) searched by POST /v1/vector_stores/vs_quill/search; null serves none; --store.
    /// </summary>
    public string? Store { get; init; }

    /// <summary>An IP address or "localhost"; loopback by default so nothing is exposed by accident.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (read it from <see cref="QuillServer.BaseAddress"/>).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>When set, every route except the playground page and /health needs <c>Authorization: Bearer KEY</c>.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Sequences decoded together (KV cache slots); llama.cpp's --parallel.</summary>
    public int Parallel { get; init; } = 4;

    /// <summary>Tokens per slot (prompt plus completion); 0 uses the model's training context.</summary>
    public int ContextLength { get; init; }

    /// <summary>
    /// Keep each slot's KV cache after a request and reuse the longest common prompt prefix for the next (llama.cpp's
    /// cache_prompt, reported as usage.prompt_tokens_details.cached_tokens); false is --no-cache-prompt.
    /// </summary>
    public bool CachePrompt { get; init; } = true;

    /// <summary>Requests that may wait for a slot; one more is answered with 429.</summary>
    public int QueueCapacity { get; init; } = 64;

    /// <summary>Largest request body accepted; a larger one is answered with 413.</summary>
    public long MaxRequestBodyBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Threads for the forward passes; 0 uses every core.</summary>
    public int Threads { get; init; }

    /// <summary>Copy the weights onto 2 MiB pages where Linux grants them (--huge-pages): decode a few % faster, load slower.</summary>
    public bool HugePages { get; init; }

    /// <summary>How the slots' KV cache stores keys and values: F16 (the default, as llama.cpp's) or F32; --kv-type.</summary>
    public KvCacheType KvCacheType { get; init; } = KvCacheType.F16;

    /// <summary>GGUF LoRA adapters applied to the generative model at run time (not merged).</summary>
    public IReadOnlyList<string> LoraAdapters { get; init; } = [];

    /// <summary>
    /// How long a stopping server (SIGTERM, Ctrl+C, DisposeAsync) lets requests in flight finish: it stops accepting
    /// connections at once, /health answers 503 "draining", and requests still running after this are cancelled.
    /// </summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(25);

    /// <summary>Where the built-in embedding model is converted to and cached; null uses DefaultEmbedder.CacheFolder.</summary>
    public string? EmbeddingCacheFolder { get; init; }

    /// <summary>The prompt-injection guard over user messages and tool results: off (the default), flag or block; --guard.</summary>
    public GuardMode Guard { get; init; } = GuardMode.Off;

    /// <summary>Scores at or above are injections; null uses the guard model's threshold; --guard-threshold.</summary>
    public double? GuardThreshold { get; init; }

    /// <summary>
    /// Add a random canary to each chat request's system prompt and end a choice that leaks it (finish_reason
    /// content_filter); --guard-canary.
    /// </summary>
    public bool GuardCanary { get; init; }

    /// <summary>A guard.json from `quill guard train`; null uses the shipped model; --guard-model.</summary>
    public string? GuardModelPath { get; init; }

    /// <summary>Tests only: wraps the engine's generator (a model that repeats its prompt, to check the canary end to end).</summary>
    internal Func<Quill.Generation.ITextGenerator, Quill.Generation.ITextGenerator>? WrapGenerator { get; init; }
    /// <summary>The request log (--log) and its drift watch; null: nothing is recorded.</summary>
    public Logging.RequestLogOptions? RequestLog { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> for a setting no server can run with.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelPath)) Throw("model path must be given, found none");
        if (Port is < 0 or > 65535) Throw($"--port must be in 0..65535, found {Port}");
        if (Parallel < 1) Throw($"--parallel must be 1 or more, found {Parallel}");
        if (ContextLength < 0) Throw($"--ctx must be 0 (the model's) or more, found {ContextLength}");
        if (QueueCapacity < 0) Throw($"queue capacity must be 0 or more, found {QueueCapacity}");
        if (MaxRequestBodyBytes < 1) Throw($"the request body limit must be positive, found {MaxRequestBodyBytes}");
        if (Threads < 0) Throw($"--threads must be 0 (every core) or more, found {Threads}");
        if (ApiKey is { Length: 0 }) Throw("--api-key must not be empty");
        if (GuardThreshold is { } t && !(t >= 0 && t <= 1)) Throw($"--guard-threshold must be in 0..1, found {t}");
        if (!Enum.IsDefined(Guard)) Throw($"--guard must be off, flag or block, found {Guard}");
        if (KvCacheType is not (KvCacheType.F16 or KvCacheType.F32)) Throw($"--kv-type must be f16 or f32, found {KvCacheType}");
        if (DrainTimeout < TimeSpan.Zero || DrainTimeout > TimeSpan.FromHours(1))
            Throw($"--drain-seconds must be in 0..3600, found {DrainTimeout.TotalSeconds}");
        RequestLog?.Validate();
    }

    private static void Throw(string message) => throw new ArgumentException($"server options: {message}");
}
