// The per-character normalizers of Hugging Face: Lowercase, Strip, StripAccents; the NFC/NFD/NFKC/NFKD forms are UnicodeFormNormalizer.
using System.Globalization;
using System.Text;
using Quill.Tokenizers.Pipeline;
using Quill.Tokenizers.PreTokenizers;

namespace Quill.Tokenizers.HuggingFace.Normalizers;

/// <summary>
/// Rust's <c>str::to_lowercase</c>: simple lower-case mapping per character, except 'İ' → "i̇" and a final capital
/// sigma → 'ς' (when a letter precedes and none follows).
/// </summary>
internal sealed class LowercaseNormalizer : INormalizer
{
    public void Normalize(NormalizedText text)
    {
        ReadOnlySpan<char> chars = text.Text;
        Span<char> pair = stackalloc char[2];
        text.BeginRewrite();
        for (int i = 0; i < chars.Length; i++)
        {
            char c = chars[i];
            if (char.IsHighSurrogate(c) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
            {
                Rune lower = Rune.ToLowerInvariant(new Rune(c, chars[i + 1]));
                int n = lower.EncodeToUtf16(pair);
                text.Append(pair[0], i);
                if (n == 2) text.Append(pair[1], i + 1);
                i++;
                continue;
            }
            if (c == '\u0130')
            {
                text.Append('i', i);
                text.Append('\u0307', i);
                continue;
            }
            if (c == '\u03A3')
            {
                bool final = i > 0 && char.IsLetter(chars[i - 1]) && !(i + 1 < chars.Length && char.IsLetter(chars[i + 1]));
                text.Append(final ? '\u03C2' : '\u03C3', i);
                continue;
            }
            text.Append(char.ToLowerInvariant(c), i);
        }
        text.EndRewrite();
    }
}

/// <summary>Removes Unicode White_Space at the start and/or the end.</summary>
internal sealed class StripNormalizer(bool left, bool right) : INormalizer
{
    public bool Left { get; } = left;

    public bool Right { get; } = right;

    public void Normalize(NormalizedText text)
    {
        ReadOnlySpan<char> chars = text.Text;
        int start = 0, end = chars.Length;
        if (Left) while (start < end && CodepointClass.IsWhiteSpaceProperty(chars[start])) start++;
        if (Right) while (end > start && CodepointClass.IsWhiteSpaceProperty(chars[end - 1])) end--;
        if (start == 0 && end == chars.Length) return;
        text.BeginRewrite();
        for (int i = start; i < end; i++) text.Append(chars[i], i);
        text.EndRewrite();
    }
}

/// <summary>Removes non-spacing marks (Mn), as Hugging Face's StripAccents; meant to follow NFD.</summary>
internal sealed class StripAccentsNormalizer : INormalizer
{
    public void Normalize(NormalizedText text)
    {
        ReadOnlySpan<char> chars = text.Text;
        text.BeginRewrite();
        for (int i = 0; i < chars.Length; i++)
        {
            char c = chars[i];
            if (char.IsHighSurrogate(c) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
            {
                if (CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, chars[i + 1])) != UnicodeCategory.NonSpacingMark)
                {
                    text.Append(c, i);
                    text.Append(chars[i + 1], i + 1);
                }
                i++;
                continue;
            }
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark) text.Append(c, i);
        }
        text.EndRewrite();
    }
}
