// NFC, NFD, NFKC, NFKD as tokenizer.json normalizers, with offsets kept per character cluster; the algorithm is UnicodeNormalization.
using System.Text;
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.HuggingFace.Normalizers;

/// <summary>
/// Text already in the form is left untouched. Otherwise each cluster (a starter and the marks or Hangul vowel/trailing
/// jamo after it) is normalized on its own and every output char is aligned to the whole cluster.
/// </summary>
internal sealed class UnicodeFormNormalizer(NormalizationForm form) : INormalizer
{
    public NormalizationForm Form { get; } = form;

    public void Normalize(NormalizedText text)
    {
        ReadOnlySpan<char> chars = text.Text;
        if (UnicodeNormalization.IsQuickNormalized(chars, Form)) return;
        Span<char> buffer = stackalloc char[64];
        text.BeginRewrite();
        for (int i = 0; i < chars.Length;)
        {
            int end = UnicodeNormalization.ClusterEnd(chars, i);
            ReadOnlySpan<char> cluster = chars[i..end];
            char[]? rented = null;
            Span<char> output = cluster.Length * 18 <= buffer.Length ? buffer : (rented = new char[cluster.Length * 18]);
            int written = UnicodeNormalization.Normalize(cluster, output, Form);
            for (int k = 0; k < written; k++) text.Append(output[k], i, end - 1);
            i = end;
        }
        text.EndRewrite();
    }
}
