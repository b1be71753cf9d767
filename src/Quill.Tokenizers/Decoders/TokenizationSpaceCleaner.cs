// llama.cpp's clean_spaces pass over detokenized bytes (HF clean_up_tokenization_spaces); not applied to SentencePiece.
namespace Quill.Tokenizers.Decoders;

/// <summary>
/// Three in-place passes, ported as llama.cpp writes them: drop the space before '?', '!', '.', ','; turn " ' " into
/// "'"; drop the space before "'s", "'m", "'re", "'ve".
/// </summary>
internal static class TokenizationSpaceCleaner
{
    /// <summary>Cleans <paramref name="text"/> in place; returns the new length.</summary>
    public static int Clean(byte[] text)
    {
        int total = text.Length;

        int total1 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total1; i++)
        {
            byte x = text[i];
            if (text[i - 1] == ' ' && x is (byte)'?' or (byte)'!' or (byte)'.' or (byte)',') total--;
            text[total++] = x;
        }

        int total2 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total2; i++)
        {
            byte x = text[i];
            if (x == '\'' && i + 1 < total2 && text[i - 1] == ' ' && text[i + 1] == ' ')
            {
                total--;
                text[++i] = 0;
            }
            text[total++] = x;
        }

        int total3 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total3; i++)
        {
            byte x = text[i];
            if (text[i - 1] == ' ' && x == '\'' && i + 1 < total3)
            {
                byte x1 = text[i + 1];
                if (x1 is (byte)'s' or (byte)'m')
                {
                    total--;
                }
                else if (i + 2 < total3)
                {
                    byte x2 = text[i + 2];
                    if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) total--;
                }
            }
            text[total++] = x;
        }
        return total;
    }
}
