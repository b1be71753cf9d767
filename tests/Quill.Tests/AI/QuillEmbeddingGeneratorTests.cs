// QuillEmbeddingGenerator over the default embedder (all-MiniLM-L6-v2, shipped offline): vectors, metadata, usage, options.
using Microsoft.Extensions.AI;
using Quill.AI;
using Quill.Embeddings;

namespace Quill.Tests.AI;

/// <summary>The default embedder converted once into a temp cache folder, shared by the tests of one class.</summary>
public sealed class DefaultEmbedderFixture : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("quill-meai-").FullName;

    public DefaultEmbedderFixture() => Embedder = DefaultEmbedder.Load(_folder, threads: 2);

    public ITextEmbedder Embedder { get; }

    public void Dispose()
    {
        Embedder.Dispose();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

public sealed class QuillEmbeddingGeneratorTests(DefaultEmbedderFixture fixture) : IClassFixture<DefaultEmbedderFixture>
{
    private const int MiniLMDimensions = 384;
    private static readonly string[] Texts = ["The cat sat on the mat.", "A kitten rests on a rug.", "Stock prices fell sharply today."];

    private QuillEmbeddingGenerator Generator() => new(fixture.Embedder);

    [Fact]
    public async Task VectorsAreTheEmbeddersOneEmbeddingPerInputInOrder()
    {
        EmbeddingResult expected = fixture.Embedder.Embed(Texts);
        GeneratedEmbeddings<Embedding<float>> embeddings = await Generator().GenerateAsync(Texts);

        Assert.Equal(Texts.Length, embeddings.Count);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(expected.Vectors[i], embeddings[i].Vector.ToArray());
            Assert.Equal(DefaultEmbedder.ModelName, embeddings[i].ModelId);
            Assert.NotNull(embeddings[i].CreatedAt);
        }
        long tokens = expected.TokenCounts.Sum();
        Assert.Equal((tokens, tokens), (embeddings.Usage?.InputTokenCount, embeddings.Usage?.TotalTokenCount));
    }

    [Fact]
    public async Task SingleValueExtensionGivesTheSameVector()
    {
        ReadOnlyMemory<float> vector = await Generator().GenerateVectorAsync(Texts[1]);
        Assert.Equal(fixture.Embedder.Embed([Texts[1]]).Vectors[0], vector.ToArray());
    }

    [Fact]
    public async Task NoInputsGiveNoEmbeddings()
    {
        GeneratedEmbeddings<Embedding<float>> embeddings = await Generator().GenerateAsync([]);
        Assert.Empty(embeddings);
    }

    [Fact]
    public void MetadataNamesProviderModelAndDimensions()
    {
        QuillEmbeddingGenerator generator = Generator();
        EmbeddingGeneratorMetadata? metadata = generator.GetService<EmbeddingGeneratorMetadata>();
        Assert.Equal(("quill", DefaultEmbedder.ModelName, MiniLMDimensions),
            (metadata?.ProviderName, metadata?.DefaultModelId, metadata?.DefaultModelDimensions));
        Assert.Same(generator, generator.GetService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.Same(fixture.Embedder, generator.GetService<ITextEmbedder>());
        Assert.Null(generator.GetService<EmbeddingGeneratorMetadata>("key"));
    }

    [Theory]
    [InlineData(MiniLMDimensions, true)]
    [InlineData(128, false)]
    [InlineData(1536, false)]
    public async Task OnlyTheModelsOwnDimensionsAreAccepted(int dimensions, bool accepted)
    {
        var options = new EmbeddingGenerationOptions { Dimensions = dimensions };
        if (accepted)
        {
            Assert.Single(await Generator().GenerateAsync([Texts[0]], options));
            return;
        }
        var e = await Assert.ThrowsAsync<NotSupportedException>(() => Generator().GenerateAsync([Texts[0]], options));
        Assert.Contains($"{dimensions}", e.Message);
        Assert.Contains("384", e.Message);
    }

    [Fact]
    public async Task AnotherModelIdIsRefused()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => Generator().GenerateAsync([Texts[0]],
            new EmbeddingGenerationOptions { ModelId = "text-embedding-3-small" }));
        Assert.Contains("text-embedding-3-small", e.Message);
    }

    [Fact]
    public async Task CancelledTokenThrowsOperationCanceled()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Generator().GenerateAsync(Texts, cancellationToken: cts.Token));
    }

    [Fact]
    public void DisposingDoesNotDisposeAnEmbedderItDoesNotOwn()
    {
        Generator().Dispose();
        Assert.Single(fixture.Embedder.Embed([Texts[0]]).Vectors); // still usable
    }
}
