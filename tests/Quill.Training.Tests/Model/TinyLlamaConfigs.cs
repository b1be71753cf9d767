// Small Llama shapes for training tests; test-only.
using Quill.Models.Llama;
using Quill.Tensors.Kernels;

namespace Quill.Training.Tests.Model;

internal static class TinyLlamaConfigs
{
    public static LlamaConfig Make(int vocab = 11, int dim = 8, int layers = 2, int heads = 2, int kvHeads = 1, int ffn = 12, int context = 16) => new()
    {
        Architecture = "llama",
        ContextLength = context,
        Dim = dim,
        Layers = layers,
        Heads = heads,
        KvHeads = kvHeads,
        HeadSize = dim / heads,
        FeedForwardDim = ffn,
        VocabSize = vocab,
        RmsEpsilon = 1e-5f,
        RopeFreqBase = 10000f,
        RopeFreqScale = 1f,
        RopeDims = dim / heads,
        RopeLayout = RopeLayout.Normal,
    };
}
