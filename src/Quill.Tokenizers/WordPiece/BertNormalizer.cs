// BERT's normalizer (clean text, space out CJK ideographs, strip accents, lower-case) with offsets kept.
using System.Runtime.CompilerServices;
using System.Text;
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.WordPiece;

/// <summary>
/// Hugging Face's BertNormalizer, in its order: <c>clean_text</c> drops NUL, U+FFFD and control chars (a lone surrogate
/// is one) and turns whitespace into ' '; <c>handle_chinese_chars</c> puts a space on each side of a CJK ideograph;
/// <c>lowercase</c> lower-cases code point by code point ('İ' → "i̇", as Rust's char::to_lowercase; no final-sigma
/// rule); <c>strip_accents</c> (null: follow <c>lowercase</c>) decomposes (NFD) and drops nonspacing marks. Every
/// output char keeps the input range of the char it came from. Text that none of this changes is left untouched.
/// </summary>
public sealed class BertNormalizer : INormalizer
{
    private readonly bool _cleanText;
    private readonly bool _handleChineseChars;
    private readonly bool _stripAccents;
    private readonly bool _lowercase;
    private readonly char[] _asciiMap = new char[128];

    public BertNormalizer(bool cleanText = true, bool handleChineseChars = true, bool? stripAccents = null, bool lowercase = true)
    {
        _cleanText = cleanText;
        _handleChineseChars = handleChineseChars;
        _stripAccents = stripAccents ?? lowercase;
        _lowercase = lowercase;
        for (int c = 0; c < 128; c++)
        {
            // What each ASCII char becomes: only controls (dropped), whitespace and capitals change.
            _asciiMap[c] = cleanText && BertCharClass.IsControl(c) ? Dropped
                : cleanText && BertCharClass.IsWhitespace(c) ? ' '
                : lowercase && c is >= 'A' and <= 'Z' ? (char)(c | 0x20) : (char)c;
        }
    }

    private const char Dropped = '\uFFFF';

    public bool CleanText => _cleanText;

    public bool HandleChineseChars => _handleChineseChars;

    public bool StripAccents => _stripAccents;

    public bool Lowercase => _lowercase;

    public void Normalize(NormalizedText text)
    {
        ReadOnlySpan<char> chars = text.Text;
        int first = FirstChange(chars);
        if (first == chars.Length) return;

        text.BeginRewrite();
        for (int i = 0; i < first; i++) text.Append(chars[i], i);
        Span<int> parts = stackalloc int[4];
        char[] map = _asciiMap;
        for (int i = first; i < chars.Length;)
        {
            char c = chars[i];
            if (c < 128)
            {
                char mapped = map[c];
                if (mapped != Dropped) text.Append(mapped, i);
                i++;
                continue;
            }
            int cp = BertCharClass.CodePointAt(chars, i, out int length);
            AppendCodePoint(text, cp, i, parts);
            i += length;
        }
        text.EndRewrite();
    }

    private void AppendCodePoint(NormalizedText text, int cp, int source, Span<int> parts)
    {
        if (_cleanText)
        {
            if (cp == 0xFFFD || BertCharClass.IsControl(cp)) return;
            if (BertCharClass.IsWhitespace(cp))
            {
                text.Append(' ', source);
                return;
            }
        }
        bool chinese = _handleChineseChars && BertCharClass.IsChineseChar(cp);
        if (chinese) text.Append(' ', source);
        if (_lowercase)
        {
            if (cp == 0x130)
            {
                // U+0130 lower-cases to two code points; the dot above is a mark that accent stripping drops.
                text.Append('i', source);
                if (!_stripAccents) text.Append('\u0307', source);
                return;
            }
            cp = Rune.ToLowerInvariant(new Rune(cp)).Value;
        }
        if (_stripAccents)
        {
            if (AccentStripping.IsNonspacingMark(cp)) return;
            int count = AccentStripping.Decompose(cp, parts);
            if (count >= 0)
            {
                for (int k = 0; k < count; k++) AppendRune(text, parts[k], source);
            }
            else
            {
                AppendRune(text, cp, source);
            }
        }
        else
        {
            AppendRune(text, cp, source);
        }
        if (chinese) text.Append(' ', source);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AppendRune(NormalizedText text, int cp, int source)
    {
        if (cp < 0x10000)
        {
            text.Append((char)cp, source);
            return;
        }
        int v = cp - 0x10000;
        text.Append((char)(0xD800 + (v >> 10)), source);
        text.Append((char)(0xDC00 + (v & 0x3FF)), source);
    }

    /// <summary>The index of the first char the normalizer may change (Length when it changes nothing).</summary>
    private int FirstChange(ReadOnlySpan<char> chars)
    {
        for (int i = 0; i < chars.Length; i++)
        {
            char c = chars[i];
            if (c >= 128) return i;
            if (c < 32 || c == 127)
            {
                if (_cleanText) return i;
                continue;
            }
            if (_lowercase && (uint)(c - 'A') <= 'Z' - 'A') return i;
        }
        return chars.Length;
    }
}
