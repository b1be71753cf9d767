// What every text embedding model offers (BERT encoders, GPT-2 feature extraction).
using Quill.Tokenizers;

namespace Quill.Embeddings;

/// <summary>How token vectors become one text vector.</summary>
public enum Pooling
{
    /// <summary>Average of the token vectors under the attention mask (sentence-transformers' default).</summary>
    Mean,

    /// <summary>The first token's vector ([CLS]).</summary>
    Cls,

    /// <summary>Element-wise maximum over the token vectors under the mask.</summary>
    Max,
}

/// <summary>
/// Turns texts into fixed-size vectors. Texts longer than <see cref="MaxTokens"/> are truncated (the embedder reports
/// it through <see cref="EmbeddingResult.Truncated"/>). Implementations batch internally and are thread-safe.
/// </summary>
public interface ITextEmbedder : IDisposable
{
    /// <summary>A stable name of the model (e.g. "all-MiniLM-L6-v2"), stored with vectors so that mixing models is refused.</summary>
    string ModelName { get; }

    /// <summary>Length of every vector.</summary>
    int Dimensions { get; }

    /// <summary>Most tokens one text may have, special tokens included.</summary>
    int MaxTokens { get; }

    ITokenizer Tokenizer { get; }

    /// <summary>One vector per text, in order.</summary>
    EmbeddingResult Embed(IReadOnlyList<string> texts, CancellationToken ct = default);
}

/// <summary>The vectors of one <see cref="ITextEmbedder.Embed"/> call.</summary>
/// <param name="Vectors">One vector per input text.</param>
/// <param name="TokenCounts">Tokens each text used (after truncation).</param>
/// <param name="Truncated">For each text, whether it was cut to <see cref="ITextEmbedder.MaxTokens"/>.</param>
public sealed record EmbeddingResult(float[][] Vectors, int[] TokenCounts, bool[] Truncated);
