// Quill's text embedders as a Microsoft.Extensions.AI IEmbeddingGenerator, in process.
using Microsoft.Extensions.AI;
using Quill.Embeddings;

namespace Quill.AI;

/// <summary>
/// An <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> over an <see cref="ITextEmbedder"/> (all-MiniLM-L6-v2 from
/// <see cref="DefaultEmbedder"/>, a BERT GGUF, ...): one <see cref="Embedding{T}"/> per input, in order, exactly the
/// embedder's vectors. Usage reports the input tokens (after truncation to the model's limit). The embedder's
/// dimensions are fixed, so <see cref="EmbeddingGenerationOptions.Dimensions"/> other than
/// <see cref="ITextEmbedder.Dimensions"/> throws <see cref="NotSupportedException"/>; a
/// <see cref="EmbeddingGenerationOptions.ModelId"/> other than the embedder's name throws <see cref="ArgumentException"/>.
/// </summary>
public sealed class QuillEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly ITextEmbedder _embedder;
    private readonly bool _ownsEmbedder;
    private readonly EmbeddingGeneratorMetadata _metadata;

    /// <summary>A generator over <paramref name="embedder"/>; disposing the generator disposes it when <paramref name="ownsEmbedder"/>.</summary>
    public QuillEmbeddingGenerator(ITextEmbedder embedder, bool ownsEmbedder = false)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        _embedder = embedder;
        _ownsEmbedder = ownsEmbedder;
        _metadata = new EmbeddingGeneratorMetadata(QuillChatClient.ProviderName, providerUri: null, embedder.ModelName, embedder.Dimensions);
    }

    /// <summary>The embedder's model name, reported as each embedding's <see cref="Embedding.ModelId"/>.</summary>
    public string ModelId => _embedder.ModelName;

    /// <summary>Length of every vector.</summary>
    public int Dimensions => _embedder.Dimensions;

    /// <summary>Embeds <paramref name="values"/> on a thread-pool thread (a forward pass is long and synchronous).</summary>
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        string[] texts = [.. values];
        foreach (string? text in texts) ArgumentNullException.ThrowIfNull(text, nameof(values));
        CheckOptions(options);
        return Task.Run(() => Generate(texts, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// <see cref="EmbeddingGeneratorMetadata"/> (provider "quill", model name, dimensions), this generator or its
    /// <see cref="ITextEmbedder"/>; null for anything else or any key.
    /// </summary>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return _metadata;
        if (serviceType.IsInstanceOfType(this)) return this;
        if (serviceType.IsInstanceOfType(_embedder)) return _embedder;
        return null;
    }

    public void Dispose()
    {
        if (_ownsEmbedder) _embedder.Dispose();
    }

    private GeneratedEmbeddings<Embedding<float>> Generate(string[] texts, CancellationToken ct)
    {
        DateTimeOffset createdAt = DateTimeOffset.UtcNow;
        EmbeddingResult result = texts.Length == 0 ? new EmbeddingResult([], [], []) : _embedder.Embed(texts, ct);
        ct.ThrowIfCancellationRequested();
        var embeddings = new GeneratedEmbeddings<Embedding<float>>(texts.Length);
        long tokens = 0;
        for (int i = 0; i < result.Vectors.Length; i++)
        {
            embeddings.Add(new Embedding<float>(result.Vectors[i]) { ModelId = ModelId, CreatedAt = createdAt });
            tokens += result.TokenCounts[i];
        }
        embeddings.Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens };
        return embeddings;
    }

    private void CheckOptions(EmbeddingGenerationOptions? options)
    {
        if (options is null) return;
        if (options.Dimensions is int dimensions && dimensions != Dimensions)
        {
            throw new NotSupportedException($"{nameof(QuillEmbeddingGenerator)}: '{ModelId}' makes {Dimensions}-dimensional vectors, " +
                $"EmbeddingGenerationOptions.Dimensions asked for {dimensions}");
        }
        if (options.ModelId is { } asked && !string.Equals(asked, ModelId, StringComparison.Ordinal))
        {
            throw new ArgumentException($"{nameof(QuillEmbeddingGenerator)}: this generator serves model '{ModelId}', EmbeddingGenerationOptions.ModelId " +
                $"asked for '{asked}'", nameof(options));
        }
    }
}
