// Hugging Face's ByteLevel pre-tokenizer: optional prefix space, optional GPT-2 split, then each UTF-8 byte as its GPT-2 alphabet char.
using System.Buffers;
using System.Text;
using Quill.Tokenizers.Models.Bpe;
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.HuggingFace.PreTokenizers;

/// <summary>
/// Per piece: a space is put in front when <see cref="AddPrefixSpace"/> and the piece does not start with one; with
/// <see cref="UseRegex"/> the piece is split by the GPT-2 pattern. Then the whole text is rewritten byte by byte into
/// the byte-level alphabet, every byte char aligned to the character it came from (an inserted space to nothing).
/// </summary>
internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : IPreTokenizer
{
    private const char SpaceChar = 'Ġ';

    [ThreadStatic] private static List<(int Start, int End, bool Prefix)>? t_words;
    [ThreadStatic] private static List<int>? t_lengths;

    public bool AddPrefixSpace { get; } = addPrefixSpace;

    public bool UseRegex { get; } = useRegex;

    public void PreTokenize(NormalizedText text, List<TextPiece> pieces)
    {
        List<(int Start, int End, bool Prefix)> words = t_words ??= [];
        words.Clear();
        ReadOnlySpan<char> chars = text.Text;
        foreach (TextPiece piece in pieces)
        {
            if (piece.Length == 0) continue;
            bool prefix = AddPrefixSpace && chars[piece.Start] != ' ';
            if (UseRegex) SplitGpt2(chars, piece, prefix, words);
            else words.Add((piece.Start, piece.End, prefix));
        }
        Rewrite(text, words, pieces);
    }

    private static void SplitGpt2(ReadOnlySpan<char> chars, TextPiece piece, bool prefix, List<(int Start, int End, bool Prefix)> words)
    {
        int extra = prefix ? 1 : 0;
        int[] cps = ArrayPool<int>.Shared.Rent(piece.Length + extra);
        int[] starts = ArrayPool<int>.Shared.Rent(piece.Length + extra + 1);
        try
        {
            int n = 0;
            if (prefix)
            {
                cps[n] = ' ';
                starts[n++] = piece.Start;
            }
            for (int i = piece.Start; i < piece.End;)
            {
                starts[n] = i;
                if (char.IsHighSurrogate(chars[i]) && i + 1 < piece.End && char.IsLowSurrogate(chars[i + 1]))
                {
                    cps[n++] = char.ConvertToUtf32(chars[i], chars[i + 1]);
                    i += 2;
                }
                else
                {
                    cps[n++] = char.IsSurrogate(chars[i]) ? 0xFFFD : chars[i];
                    i++;
                }
            }
            starts[n] = piece.End;
            List<int> lengths = t_lengths ??= [];
            lengths.Clear();
            ScannerSplitPattern.Scan(KnownSplitRegex.Gpt2, cps.AsSpan(0, n), lengths);
            int cp = 0;
            foreach (int length in lengths)
            {
                words.Add((starts[cp], starts[cp + length], prefix && cp == 0));
                cp += length;
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(cps);
            ArrayPool<int>.Shared.Return(starts);
        }
    }

    /// <summary>Rewrites every char to its byte chars and replaces <paramref name="pieces"/> with the words' new ranges.</summary>
    private static void Rewrite(NormalizedText text, List<(int Start, int End, bool Prefix)> words, List<TextPiece> pieces)
    {
        pieces.Clear();
        ReadOnlySpan<char> chars = text.Text;
        int length = text.Length;
        Span<byte> utf8 = stackalloc byte[4];
        text.BeginRewrite();
        int written = 0, next = 0, open = -1, openStart = 0;
        for (int i = 0; i <= length;)
        {
            if (open >= 0 && words[open].End == i)
            {
                pieces.Add(new TextPiece(openStart, written - openStart));
                open = -1;
            }
            while (open < 0 && next < words.Count && words[next].Start == i)
            {
                open = next++;
                openStart = written;
                if (words[open].Prefix)
                {
                    text.AppendInserted(SpaceChar, i);
                    written++;
                }
                if (words[open].End == i)
                {
                    // only the inserted space (it was a word of its own before a newline)
                    pieces.Add(new TextPiece(openStart, written - openStart));
                    open = -1;
                }
            }
            if (i == length) break;
            char c = chars[i];
            if (c < 0x80)
            {
                text.Append(ByteLevelAlphabet.Encode((byte)c), i);
                written++;
                i++;
                continue;
            }
            int units = char.IsHighSurrogate(c) && i + 1 < length && char.IsLowSurrogate(chars[i + 1]) ? 2 : 1;
            Rune rune = units == 2 ? new Rune(c, chars[i + 1]) : Rune.IsValid(c) ? new Rune(c) : Rune.ReplacementChar;
            int count = rune.EncodeToUtf8(utf8);
            for (int b = 0; b < count; b++) text.Append(ByteLevelAlphabet.Encode(utf8[b]), i);
            written += count;
            i += units;
        }
        text.EndRewrite();
    }
}
