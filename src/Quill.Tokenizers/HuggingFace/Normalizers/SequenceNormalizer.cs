// Hugging Face's Sequence normalizer: normalizers applied in order; nothing else.
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.HuggingFace.Normalizers;

internal sealed class SequenceNormalizer(INormalizer[] stages) : INormalizer
{
    public IReadOnlyList<INormalizer> Stages { get; } = stages;

    public void Normalize(NormalizedText text)
    {
        foreach (INormalizer stage in stages) stage.Normalize(text);
    }
}
