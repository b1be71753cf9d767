// The shape and seed of a tiny random-weight Llama written by TinyLlamaFiles; not a real model's configuration.
namespace Quill.TestSupport.LlamaCpp;

/// <summary>
/// Hyper-parameters of a tiny Llama. The defaults keep every row length a multiple of 256 (the k-quant super-block),
/// so llama.cpp's quantizer really uses the k-quant types instead of falling back to legacy ones, and use grouped-query
/// attention (2 key/value heads for 4 query heads) so that path is exercised.
/// </summary>
/// <param name="EmbeddingLength">C, the residual width.</param>
/// <param name="BlockCount">Number of transformer blocks.</param>
/// <param name="HeadCount">H, query heads; the head size D is EmbeddingLength / HeadCount.</param>
/// <param name="HeadCountKv">Key/value heads; HeadCount must be a multiple of it.</param>
/// <param name="FeedForwardLength">Hidden width of the SwiGLU feed-forward.</param>
/// <param name="ContextLength">llama.context_length: the longest sequence the model claims to handle.</param>
/// <param name="RmsEpsilon">llama.attention.layer_norm_rms_epsilon.</param>
/// <param name="RopeFrequencyBase">llama.rope.freq_base.</param>
/// <param name="Seed">Seed of the weights; the same options always give the same bytes.</param>
public sealed record TinyLlamaOptions(
    int EmbeddingLength = 256,
    int BlockCount = 2,
    int HeadCount = 4,
    int HeadCountKv = 2,
    int FeedForwardLength = 512,
    int ContextLength = 256,
    float RmsEpsilon = 1e-5f,
    float RopeFrequencyBase = 10000f,
    int Seed = 1234)
{
    /// <summary>D, the size of one attention head.</summary>
    public int HeadSize => EmbeddingLength / HeadCount;

    /// <summary>Width of the key and value projections: HeadCountKv * D.</summary>
    public int KeyValueLength => HeadCountKv * HeadSize;

    internal void Validate()
    {
        if (EmbeddingLength <= 0 || BlockCount <= 0 || HeadCount <= 0 || HeadCountKv <= 0 || FeedForwardLength <= 0 || ContextLength <= 0)
        {
            throw new ArgumentException($"tiny llama: every size must be positive, got {this}");
        }
        if (EmbeddingLength % HeadCount != 0 || HeadSize % 2 != 0)
        {
            throw new ArgumentException($"tiny llama: EmbeddingLength {EmbeddingLength} must split into {HeadCount} heads of even size");
        }
        if (HeadCount % HeadCountKv != 0)
        {
            throw new ArgumentException($"tiny llama: HeadCount {HeadCount} must be a multiple of HeadCountKv {HeadCountKv}");
        }
    }
}
