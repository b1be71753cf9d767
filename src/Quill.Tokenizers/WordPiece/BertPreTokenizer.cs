// BERT's pre-tokenizer: split on whitespace, each punctuation char its own piece.
using Quill.Tokenizers.Pipeline;

namespace Quill.Tokenizers.WordPiece;

/// <summary>
/// Hugging Face's BertPreTokenizer: whitespace separates pieces and is dropped; every punctuation code point (ASCII
/// 33-47, 58-64, 91-96, 123-126 or a P* category) is a piece of its own; the runs between are pieces.
/// </summary>
public sealed class BertPreTokenizer : IPreTokenizer
{
    [ThreadStatic] private static List<TextPiece>? t_input;

    public void PreTokenize(NormalizedText text, List<TextPiece> pieces)
    {
        List<TextPiece> input = t_input ??= [];
        input.Clear();
        input.AddRange(pieces);
        pieces.Clear();
        ReadOnlySpan<char> chars = text.Text;
        foreach (TextPiece piece in input) Split(chars, piece.Start, piece.End, pieces);
    }

    private static void Split(ReadOnlySpan<char> chars, int start, int end, List<TextPiece> pieces)
    {
        int word = -1;
        for (int i = start; i < end;)
        {
            int cp = BertCharClass.CodePointAt(chars[..end], i, out int length);
            if (BertCharClass.IsWhitespace(cp))
            {
                if (word >= 0) pieces.Add(new TextPiece(word, i - word));
                word = -1;
            }
            else if (BertCharClass.IsPunctuation(cp))
            {
                if (word >= 0) pieces.Add(new TextPiece(word, i - word));
                word = -1;
                pieces.Add(new TextPiece(i, length));
            }
            else if (word < 0)
            {
                word = i;
            }
            i += length;
        }
        if (word >= 0) pieces.Add(new TextPiece(word, end - word));
    }
}
