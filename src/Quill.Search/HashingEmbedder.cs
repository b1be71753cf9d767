// A deterministic bag-of-words embedder for tests and the `quill index` child process they run; not a semantic model.
using Quill.Embeddings;
using Quill.Search.Vectors;
using Quill.Tokenizers;

namespace Quill.Search;

/// <summary>
/// Hashes each bert-base-uncased token id to one of <see cref="Dimensions"/> buckets with a ±1 sign and L2-normalises
/// the counts: texts that share words get similar vectors, with no model file. <paramref name="delayPerBatch"/> slows
/// every <see cref="Embed"/> call down, so tests can kill an indexing process mid-way.
/// </summary>
public sealed class HashingEmbedder(int dimensions = 64, TimeSpan delayPerBatch = default) : ITextEmbedder
{
    public string ModelName { get; } = $"test-hash-{dimensions}";

    public int Dimensions { get; } = dimensions > 0 ? dimensions : throw new ArgumentOutOfRangeException(nameof(dimensions));

    public int MaxTokens => 512;

    public ITokenizer Tokenizer { get; } = TokenizerCatalog.Load("bert-base-uncased");

    public EmbeddingResult Embed(IReadOnlyList<string> texts, CancellationToken ct = default)
    {
        if (delayPerBatch > TimeSpan.Zero) Thread.Sleep(delayPerBatch);
        var vectors = new float[texts.Count][];
        var counts = new int[texts.Count];
        var truncated = new bool[texts.Count];
        for (int t = 0; t < texts.Count; t++)
        {
            ct.ThrowIfCancellationRequested();
            int[] ids = Tokenizer.Encode(texts[t]);
            truncated[t] = ids.Length > MaxTokens;
            counts[t] = Math.Min(ids.Length, MaxTokens);
            var vector = new float[Dimensions];
            foreach (int id in ids.AsSpan(0, counts[t]))
            {
                if (Tokenizer.IsSpecial(id)) continue;
                uint h = (uint)id * 0x9E3779B1u;
                h ^= h >> 15;
                vector[(int)(h % (uint)Dimensions)] += (h & 0x8000_0000u) != 0 ? -1f : 1f;
            }
            VectorNorm.Normalize(vector);
            vectors[t] = vector;
        }
        return new EmbeddingResult(vectors, counts, truncated);
    }

    public void Dispose()
    {
    }
}
