// What one server serves: the generative model (engine, tokenizer, chat template) and the embedding model.
using Quill.Embeddings;
using Quill.Generation;
using Quill.Models;
using Quill.Serving;
using Quill.Tokenizers;
using Quill.Tokenizers.ChatTemplates;

namespace Quill.Server;

/// <summary>
/// Loads the generative model at start and wraps it in a <see cref="ContinuousBatcher"/> (one KV cache slot per
/// --parallel, concurrent requests decoded together); the embedding model is loaded at start
/// when one is named, else the built-in all-MiniLM-L6-v2 is loaded on the first /v1/embeddings request.
/// </summary>
internal sealed class ServedModels : IDisposable
{
    private readonly LanguageModel _model;
    private readonly Lazy<ITextEmbedder> _embedder;
    private readonly IDisposable _engine;

    public ServedModels(ServerOptions options)
    {
        _model = LanguageModel.Load(options.ModelPath, new LoadOptions
        {
            Threads = options.Threads,
            Loading = options.HugePages ? WeightLoading.CopyHugePages : WeightLoading.Copy,
            KvCacheType = options.KvCacheType,
            LoraAdapters = [.. options.LoraAdapters.Select(a => new LoraAdapterOption(a))],
        });
        try
        {
            var batcher = new ContinuousBatcher(_model.Model, _model.Tokenizer, new BatcherOptions
            {
                Slots = options.Parallel,
                ContextLength = options.ContextLength,
                QueueCapacity = options.QueueCapacity,
                CachePrompt = options.CachePrompt,
            });
            (Generator, Status, _engine) = (options.WrapGenerator?.Invoke(batcher) ?? batcher, batcher, batcher);
            ContextLength = batcher.ContextLength;
            Template = ChatTemplate.FromGguf(_model.File) ?? ChatTemplate.Fallback(_model.Tokenizer);
            GenerativeModelId = _model.Name;
            if (options.EmbeddingModel is { } named)
            {
                ITextEmbedder loaded = EmbedderCatalog.Load(named, threads: options.Threads);
                _embedder = new Lazy<ITextEmbedder>(loaded);
                EmbeddingModelId = loaded.ModelName;
            }
            else
            {
                string? cache = options.EmbeddingCacheFolder;
                int threads = options.Threads;
                _embedder = new Lazy<ITextEmbedder>(() => DefaultEmbedder.Load(cache, threads), LazyThreadSafetyMode.ExecutionAndPublication);
                EmbeddingModelId = DefaultEmbedder.ModelName;
            }
        }
        catch
        {
            _model.Dispose();
            throw;
        }
    }

    /// <summary>The id /v1/models lists for the generative model: general.name, else the file name.</summary>
    public string GenerativeModelId { get; }

    /// <summary>The id /v1/models lists for the embedding model.</summary>
    public string EmbeddingModelId { get; }

    public IEnumerable<string> Ids => [GenerativeModelId, EmbeddingModelId];

    public ITextGenerator Generator { get; }
    public IBatchStatus Status { get; }
    public ITokenizer Tokenizer => _model.Tokenizer;

    /// <summary>Tokens per request (prompt plus completion).</summary>
    public int ContextLength { get; }

    /// <summary>The model's own chat template, or the ChatML fallback with the tokenizer's BOS/EOS.</summary>
    public ChatTemplate Template { get; }

    /// <summary>The embedding model, loading it on first use.</summary>
    public ITextEmbedder Embedder => _embedder.Value;

    /// <summary>Accepts no model or the generative model's id; the embedding model is a 400, anything else a 404.</summary>
    public void RequireGenerative(string? id)
    {
        if (id is null || id == GenerativeModelId) return;
        if (id == EmbeddingModelId)
            throw ApiError.BadRequest($"The model '{id}' is an embedding model; use it with /v1/embeddings, or use '{GenerativeModelId}' here.", "model",
                "model_not_supported");
        throw ApiError.ModelNotFound(id, Ids);
    }

    /// <summary>Accepts no model or the embedding model's id; the generative model is a 400, anything else a 404.</summary>
    public void RequireEmbedding(string? id)
    {
        if (id is null || id == EmbeddingModelId) return;
        if (id == GenerativeModelId)
            throw ApiError.BadRequest($"The model '{id}' generates text; embeddings come from '{EmbeddingModelId}'.", "model", "model_not_supported");
        throw ApiError.ModelNotFound(id, Ids);
    }

    /// <summary>The token ids of a chat prompt: the messages rendered with the generation prompt.</summary>
    public int[] ChatPromptTokens(IReadOnlyList<ChatMessage> messages) => Template.Encode(messages, _model.Tokenizer);

    public void Dispose()
    {
        _engine.Dispose();
        if (_embedder.IsValueCreated) _embedder.Value.Dispose();
        _model.Dispose();
    }
}
