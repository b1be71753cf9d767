// Backslash escapes in prompt and stop flags (\n, \t, \\, \", \'), processed as llama.cpp's --escape does by default.
using System.Text;

namespace Quill.Cli.Commands;

internal static class EscapedText
{
    public static string Unescape(string text)
    {
        if (!text.Contains('\\')) return text;
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c != '\\' || i + 1 == text.Length)
            {
                sb.Append(c);
                continue;
            }
            char next = text[++i];
            sb.Append(next switch
            {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                '\\' => '\\',
                '"' => '"',
                '\'' => '\'',
                _ => '\0',
            });
            if (sb[^1] == '\0')
            {
                sb.Length--;
                sb.Append('\\').Append(next);
            }
        }
        return sb.ToString();
    }
}
