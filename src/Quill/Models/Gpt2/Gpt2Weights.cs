// The tensors of a GPT-2 checkpoint as typed views, shape-checked against the config; no compute here.
using Quill.Tensors;

namespace Quill.Models.Gpt2;

/// <summary>One transformer block's weights. Matrices are (N rows, K columns) = (out, in); every linear layer has a bias.</summary>
public sealed class Gpt2LayerWeights
{
    public required float[] AttentionNorm { get; init; }        // (C)  ln_1.weight
    public required float[] AttentionNormBias { get; init; }    // (C)  ln_1.bias
    public required WeightMatrix QueryKeyValue { get; init; }   // (C + 2·Hkv·D, C)  c_attn: q rows, then k, then v
    public required float[] QueryKeyValueBias { get; init; }    // (C + 2·Hkv·D)
    public required WeightMatrix AttentionOutput { get; init; } // (C, C)  attn.c_proj
    public required float[] AttentionOutputBias { get; init; }  // (C)
    public required float[] FeedForwardNorm { get; init; }      // (C)  ln_2.weight
    public required float[] FeedForwardNormBias { get; init; }  // (C)
    public required WeightMatrix Up { get; init; }              // (F, C)  mlp.c_fc
    public required float[] UpBias { get; init; }               // (F)
    public required WeightMatrix Down { get; init; }            // (C, F)  mlp.c_proj
    public required float[] DownBias { get; init; }             // (C)
}

/// <summary>All weights of the model.</summary>
public sealed class Gpt2Weights
{
    public required WeightMatrix TokenEmbedding { get; init; }    // (V, C): one row per token (wte)
    public required WeightMatrix PositionEmbedding { get; init; } // (ctx, C): one row per position (wpe)
    public required Gpt2LayerWeights[] Layers { get; init; }
    public required float[] OutputNorm { get; init; }             // (C)  ln_f.weight
    public required float[] OutputNormBias { get; init; }         // (C)  ln_f.bias
    public required WeightMatrix Output { get; init; }            // (V, C); the token embedding when tied

    /// <summary>Views over a GGUF file's tensors with llama.cpp's names; output.weight is optional (tied).</summary>
    public static Gpt2Weights Load(WeightStore store, Gpt2Config c)
    {
        var layers = new Gpt2LayerWeights[c.Layers];
        for (int l = 0; l < c.Layers; l++)
        {
            layers[l] = new Gpt2LayerWeights
            {
                AttentionNorm = store.Vector(TensorNames.AttentionNorm(l), c.Dim),
                AttentionNormBias = store.Vector(TensorNames.AttentionNormBias(l), c.Dim),
                QueryKeyValue = store.LinearWeight(TensorNames.AttentionQkv(l), c.Dim, c.QkvDim),
                QueryKeyValueBias = store.Vector(TensorNames.AttentionQkvBias(l), c.QkvDim),
                AttentionOutput = store.LinearWeight(TensorNames.AttentionOutput(l), c.Dim, c.Dim),
                AttentionOutputBias = store.Vector(TensorNames.AttentionOutputBias(l), c.Dim),
                FeedForwardNorm = store.Vector(TensorNames.FeedForwardNorm(l), c.Dim),
                FeedForwardNormBias = store.Vector(TensorNames.FeedForwardNormBias(l), c.Dim),
                Up = store.LinearWeight(TensorNames.FeedForwardUp(l), c.Dim, c.FeedForwardDim),
                UpBias = store.Vector(TensorNames.FeedForwardUpBias(l), c.FeedForwardDim),
                Down = store.LinearWeight(TensorNames.FeedForwardDown(l), c.FeedForwardDim, c.Dim),
                DownBias = store.Vector(TensorNames.FeedForwardDownBias(l), c.Dim),
            };
        }
        var embedding = store.Matrix(TensorNames.TokenEmbedding, c.Dim, c.VocabSize);
        return new Gpt2Weights
        {
            TokenEmbedding = embedding,
            PositionEmbedding = store.Matrix(TensorNames.PositionEmbedding, c.Dim, c.ContextLength),
            Layers = layers,
            OutputNorm = store.Vector(TensorNames.OutputNorm, c.Dim),
            OutputNormBias = store.Vector(TensorNames.OutputNormBias, c.Dim),
            Output = store.Contains(TensorNames.Output) ? store.LinearWeight(TensorNames.Output, c.Dim, c.VocabSize) : embedding,
        };
    }
}
