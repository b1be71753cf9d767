// The shape and encoding of a synthetic model written by `quill create`.
using Quill.Tensors;

namespace Quill.Models.Synthetic;

/// <summary>Hyperparameters of a random-weight decoder; defaults make a tiny but well-formed Llama.</summary>
public sealed record SyntheticModelOptions
{
    /// <summary>"llama" (normal RoPE), "qwen2" (NeoX RoPE and q/k/v biases) or "gpt2" (learned positions, LayerNorm, GELU).</summary>
    public string Architecture { get; init; } = "llama";
    public int Dim { get; init; } = 64;
    public int Layers { get; init; } = 2;
    public int Heads { get; init; } = 4;
    public int KvHeads { get; init; } = 4;
    public int FeedForwardDim { get; init; } = 128;
    public int VocabSize { get; init; } = 512;
    public int ContextLength { get; init; } = 512;
    /// <summary>Type of the 2-D weights; norms and biases stay F32 as llama.cpp's quantizer leaves them.</summary>
    public GgmlType Type { get; init; } = GgmlType.F32;
    public ulong Seed { get; init; } = 42;
    public bool TiedEmbeddings { get; init; }
    public float RopeFreqBase { get; init; } = 10000f;
    /// <summary>Linear RoPE scaling factor (positions divided by it); 1 writes no scaling keys.</summary>
    public float RopeLinearScaling { get; init; } = 1f;
    public float RmsEpsilon { get; init; } = 1e-5f;
    /// <summary>LayerNorm epsilon of "gpt2" models.</summary>
    public float LayerNormEpsilon { get; init; } = 1e-5f;

    /// <summary>A Jinja chat template written as tokenizer.chat_template, or null for none.</summary>
    public string? ChatTemplate { get; init; }
}
