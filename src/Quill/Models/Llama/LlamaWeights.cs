// The tensors of a Llama-family checkpoint as typed views, shape-checked against the config; no compute here.
using Quill.Tensors;

namespace Quill.Models.Llama;

/// <summary>One transformer block's weights. Matrices are (N rows, K columns) = (out, in).</summary>
public sealed class LlamaLayerWeights
{
    public required float[] AttentionNorm { get; init; }   // (C)
    public required WeightMatrix Query { get; init; }      // (H·D, C)
    public required WeightMatrix Key { get; init; }        // (Hkv·D, C)
    public required WeightMatrix Value { get; init; }      // (Hkv·D, C)
    public float[]? QueryBias { get; init; }               // (H·D) Qwen2
    public float[]? KeyBias { get; init; }                 // (Hkv·D)
    public float[]? ValueBias { get; init; }               // (Hkv·D)
    public required WeightMatrix Output { get; init; }     // (C, H·D)
    public required float[] FeedForwardNorm { get; init; } // (C)
    public required WeightMatrix Gate { get; init; }       // (F, C)
    public required WeightMatrix Up { get; init; }         // (F, C)
    public required WeightMatrix Down { get; init; }       // (C, F)
}

/// <summary>All weights of the model.</summary>
public sealed class LlamaWeights
{
    public required WeightMatrix TokenEmbedding { get; init; }  // (V, C): one row per token
    public required LlamaLayerWeights[] Layers { get; init; }
    public required float[] OutputNorm { get; init; }           // (C)
    public required WeightMatrix Output { get; init; }          // (V, C); the embedding when tied

    public static LlamaWeights Load(WeightStore store, LlamaConfig c)
    {
        var layers = new LlamaLayerWeights[c.Layers];
        for (int l = 0; l < c.Layers; l++)
        {
            float[]? OptionalBias(string name, int length) => store.Contains(name) ? store.Vector(name, length) : null;
            layers[l] = new LlamaLayerWeights
            {
                AttentionNorm = store.Vector(TensorNames.AttentionNorm(l), c.Dim),
                Query = store.LinearWeight(TensorNames.AttentionQuery(l), c.Dim, c.QueryDim),
                Key = store.LinearWeight(TensorNames.AttentionKey(l), c.Dim, c.KvDim),
                Value = store.LinearWeight(TensorNames.AttentionValue(l), c.Dim, c.KvDim),
                QueryBias = OptionalBias(TensorNames.AttentionQueryBias(l), c.QueryDim),
                KeyBias = OptionalBias(TensorNames.AttentionKeyBias(l), c.KvDim),
                ValueBias = OptionalBias(TensorNames.AttentionValueBias(l), c.KvDim),
                Output = store.LinearWeight(TensorNames.AttentionOutput(l), c.QueryDim, c.Dim),
                FeedForwardNorm = store.Vector(TensorNames.FeedForwardNorm(l), c.Dim),
                Gate = store.LinearWeight(TensorNames.FeedForwardGate(l), c.Dim, c.FeedForwardDim),
                Up = store.LinearWeight(TensorNames.FeedForwardUp(l), c.Dim, c.FeedForwardDim),
                Down = store.LinearWeight(TensorNames.FeedForwardDown(l), c.FeedForwardDim, c.Dim),
            };
        }
        var embedding = store.Matrix(TensorNames.TokenEmbedding, c.Dim, c.VocabSize);
        return new LlamaWeights
        {
            TokenEmbedding = embedding,
            Layers = layers,
            OutputNorm = store.Vector(TensorNames.OutputNorm, c.Dim),
            Output = store.Contains(TensorNames.Output) ? store.LinearWeight(TensorNames.Output, c.Dim, c.VocabSize) : embedding,
        };
    }
}
