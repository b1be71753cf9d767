// The contents of a LoRA adapter (llama.cpp's GGUF adapter format) as F32 arrays; no file access and no compute here.
namespace Quill.Models.Llama;

/// <summary>
/// One adapted projection: the base weight <paramref name="Target"/> (Out, In) gains s·B·A, with A (rank, In) and
/// B (Out, rank) row-major, as llama.cpp's lora_a (ne0 = In) and lora_b (ne0 = rank) hold them.
/// </summary>
public sealed record LoraWeight(string Target, int Rank, float Alpha, int InFeatures, int OutFeatures, float[] A, float[] B)
{
    /// <summary>alpha / rank, or 1 when alpha is 0 (llama.cpp's rule for adapters that carry no alpha).</summary>
    public float Scale => Alpha == 0f ? 1f : Alpha / Rank;
}

/// <summary>Every adapted projection of one adapter file, for models of <paramref name="Architecture"/>.</summary>
public sealed record LoraAdapterWeights(string Architecture, float Alpha, IReadOnlyList<LoraWeight> Weights);
