// Renders an encoding for people: the text with each token on its own background colour, and an id/token table.
using System.Text;
using Quill.Tokenizers;

namespace Quill.Cli.Commands;

/// <summary>
/// The "see where the tokenizer splits" view. With colour, consecutive tokens alternate between background colours
/// (tokens that share characters, such as the bytes of one emoji, share a colour); without colour, token boundaries
/// are marked with '|'. Tokens the post-processor added ([CLS], BOS) appear as their spelling in brackets' style.
/// Newlines inside a token show as '↵' before the line break.
/// </summary>
internal static class TokenView
{
    private static readonly string[] Backgrounds =
    [
        "\u001b[48;5;153m", "\u001b[48;5;223m", "\u001b[48;5;194m", "\u001b[48;5;218m", "\u001b[48;5;229m", "\u001b[48;5;183m",
    ];

    private const string Foreground = "\u001b[38;5;16m";
    private const string SpecialStyle = "\u001b[1;38;5;231;48;5;240m";
    private const string Reset = "\u001b[0m";

    /// <summary>The text with token boundaries shown, ending with a newline.</summary>
    public static string RenderText(string text, ReadOnlySpan<EncodedToken> tokens, ITokenizer tokenizer, bool color)
    {
        var output = new StringBuilder(text.Length * 2);
        int cursor = 0, colour = -1;
        int i = 0;
        while (i < tokens.Length)
        {
            EncodedToken token = tokens[i];
            if (token.Start == token.End)
            {
                // Added specials show their spelling; a token that covers no input (a prefixed space) shows nothing.
                if (tokenizer.IsSpecial(token.Id)) AppendSpecial(output, tokenizer.TokenText(token.Id), color);
                i++;
                continue;
            }
            // Tokens whose ranges overlap (bytes of one character) are one coloured segment.
            int start = Math.Max(token.Start, cursor), end = token.End;
            int j = i + 1;
            while (j < tokens.Length && tokens[j].Start < end && tokens[j].End > tokens[j].Start)
            {
                end = Math.Max(end, tokens[j].End);
                j++;
            }
            if (end > start)
            {
                colour++;
                string piece = text[start..end];
                string gap = Escape(text[cursor..start], visible: false);
                if (color)
                {
                    string background = Backgrounds[colour % Backgrounds.Length];
                    output.Append(gap).Append(background).Append(Foreground)
                        .Append(piece.Replace("\n", "↵" + Reset + "\n" + background + Foreground)).Append(Reset);
                }
                else
                {
                    // The boundary mark goes before text no token covers (BERT drops spaces), so "My| name| is" reads alike for every tokenizer.
                    if (output.Length > 0 && output[^1] != '\n' && !gap.Contains('\n')) output.Append('|');
                    output.Append(gap).Append(piece.Replace("\n", "↵\n"));
                }
                cursor = end;
            }
            i = j;
        }
        if (cursor < text.Length) output.Append(Escape(text[cursor..], visible: false));
        if (output.Length == 0 || output[^1] != '\n') output.Append('\n');
        return output.ToString();
    }

    /// <summary>One row per token: index, id, the vocabulary's spelling and the input it covers.</summary>
    public static string RenderTable(string text, ReadOnlySpan<EncodedToken> tokens, ITokenizer tokenizer)
    {
        var output = new StringBuilder();
        int idWidth = Math.Max(2, tokens.Length == 0 ? 2 : MaxDigits(tokens));
        output.Append($"{"#",5}  {"id".PadLeft(idWidth)}  {"token",-20}  text\n");
        for (int i = 0; i < tokens.Length; i++)
        {
            EncodedToken token = tokens[i];
            string spelling = Escape(tokenizer.TokenText(token.Id), visible: true);
            string covered = token.End > token.Start ? Escape(text[token.Start..token.End], visible: true) : "";
            output.Append($"{i,5}  {token.Id.ToString().PadLeft(idWidth)}  {spelling,-20}  {covered}\n");
        }
        return output.ToString();
    }

    private static int MaxDigits(ReadOnlySpan<EncodedToken> tokens)
    {
        int max = 0;
        foreach (EncodedToken token in tokens) max = Math.Max(max, token.Id);
        return max.ToString().Length;
    }

    private static void AppendSpecial(StringBuilder output, string spelling, bool color)
    {
        if (color) output.Append(SpecialStyle).Append(spelling).Append(Reset);
        else
        {
            if (output.Length > 0 && output[^1] != '\n') output.Append('|');
            output.Append(spelling);
        }
    }

    /// <summary>Control characters as escapes; with <paramref name="visible"/> also newlines and tabs (table cells stay one line).</summary>
    private static string Escape(string text, bool visible)
    {
        var output = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            switch (c)
            {
                case '\n' when visible: output.Append("\\n"); break;
                case '\r' when visible: output.Append("\\r"); break;
                case '\t' when visible: output.Append("\\t"); break;
                case '\n' or '\r' or '\t': output.Append(c); break;
                case < ' ' or '\u007f': output.Append($"\\u{(int)c:x4}"); break;
                default: output.Append(c); break;
            }
        }
        return output.ToString();
    }
}
