// Hugging Face's Prepend normalizer: puts a fixed string in front of non-empty text (Llama 2's '▁'); not Metaspace.
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.HuggingFace.Normalizers;

/// <summary>The prepended chars cover nothing of the input (zero-width at its start).</summary>
internal sealed class PrependNormalizer(string prefix) : INormalizer
{
    public string Prefix { get; } = prefix;

    public void Normalize(NormalizedText text)
    {
        if (text.Length == 0 || Prefix.Length == 0) return;
        ReadOnlySpan<char> chars = text.Text;
        text.BeginRewrite();
        foreach (char c in Prefix) text.AppendInserted(c, 0);
        for (int i = 0; i < chars.Length; i++) text.Append(chars[i], i);
        text.EndRewrite();
    }
}
