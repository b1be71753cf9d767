// Hugging Face's Metaspace pre-tokenizer: spaces become '▁', a '▁' is prepended by the prepend scheme, optional split before each '▁'.
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.HuggingFace.PreTokenizers;

internal enum PrependScheme
{
    Always,
    First,
    Never,
}

/// <summary>
/// Per piece: ' ' is replaced by <see cref="Replacement"/>; when the piece does not then start with it, one is inserted
/// (always; or, for <see cref="PrependScheme.First"/>, only for the piece at the start of the input); with
/// <see cref="Split"/> each piece is cut before every replacement char (MergedWithNext).
/// </summary>
internal sealed class MetaspacePreTokenizer(char replacement, PrependScheme scheme, bool split) : IPreTokenizer
{
    [ThreadStatic] private static List<(int Start, int End, bool Prefix)>? t_words;
    [ThreadStatic] private static List<(int Start, int End)>? t_matches;
    [ThreadStatic] private static List<TextPiece>? t_next;

    public char Replacement { get; } = replacement;

    public PrependScheme Scheme { get; } = scheme;

    public bool Split { get; } = split;

    public void PreTokenize(NormalizedText text, List<TextPiece> pieces)
    {
        List<(int Start, int End, bool Prefix)> words = t_words ??= [];
        words.Clear();
        ReadOnlySpan<char> chars = text.Text;
        foreach (TextPiece piece in pieces)
        {
            if (piece.Length == 0) continue;
            bool startsWithReplacement = chars[piece.Start] == ' ' || chars[piece.Start] == Replacement;
            bool prefix = !startsWithReplacement && Scheme switch
            {
                PrependScheme.Always => true,
                PrependScheme.First => text.OriginalStart(piece.Start) == 0,
                _ => false,
            };
            words.Add((piece.Start, piece.End, prefix));
        }

        pieces.Clear();
        int length = text.Length;
        text.BeginRewrite();
        int written = 0, next = 0, open = -1, openStart = 0;
        for (int i = 0; i <= length; i++)
        {
            if (open >= 0 && words[open].End == i)
            {
                pieces.Add(new TextPiece(openStart, written - openStart));
                open = -1;
            }
            if (open < 0 && next < words.Count && words[next].Start == i)
            {
                open = next++;
                openStart = written;
                if (words[open].Prefix)
                {
                    text.AppendInserted(Replacement, i);
                    written++;
                }
            }
            if (i == length) break;
            text.Append(chars[i] == ' ' ? Replacement : chars[i], i);
            written++;
        }
        text.EndRewrite();

        if (!Split) return;
        List<(int Start, int End)> matches = t_matches ??= [];
        List<TextPiece> result = t_next ??= [];
        result.Clear();
        ReadOnlySpan<char> rewritten = text.Text;
        foreach (TextPiece piece in pieces)
        {
            matches.Clear();
            for (int i = piece.Start; i < piece.End; i++)
            {
                if (rewritten[i] == Replacement) matches.Add((i, i + 1));
            }
            SplitBehaviors.Apply(piece.Start, piece.End, matches, false, SplitBehavior.MergedWithNext, result);
        }
        pieces.Clear();
        pieces.AddRange(result);
    }
}
