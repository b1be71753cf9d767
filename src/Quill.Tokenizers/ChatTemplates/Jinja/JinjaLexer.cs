// Splits preprocessed template text into tokens exactly as @huggingface/jinja's lexer does.
using System.Text;

namespace Quill.Tokenizers.ChatTemplates.Jinja;

/// <summary>Tokenizes a template: text between tags, <c>{# #}</c> comments, and the tokens inside <c>{{ }}</c> and <c>{% %}</c>.</summary>
internal static class JinjaLexer
{
    private static readonly (string Text, JinjaTokenKind Kind)[] Symbols =
    [
        ("{%", JinjaTokenKind.OpenStatement), ("%}", JinjaTokenKind.CloseStatement),
        ("{{", JinjaTokenKind.OpenExpression), ("}}", JinjaTokenKind.CloseExpression),
        ("(", JinjaTokenKind.OpenParen), (")", JinjaTokenKind.CloseParen),
        ("{", JinjaTokenKind.OpenBrace), ("}", JinjaTokenKind.CloseBrace),
        ("[", JinjaTokenKind.OpenBracket), ("]", JinjaTokenKind.CloseBracket),
        (",", JinjaTokenKind.Comma), (".", JinjaTokenKind.Dot), (":", JinjaTokenKind.Colon), ("|", JinjaTokenKind.Pipe),
        ("<=", JinjaTokenKind.Comparison), (">=", JinjaTokenKind.Comparison), ("==", JinjaTokenKind.Comparison),
        ("!=", JinjaTokenKind.Comparison), ("<", JinjaTokenKind.Comparison), (">", JinjaTokenKind.Comparison),
        ("+", JinjaTokenKind.Additive), ("-", JinjaTokenKind.Additive), ("~", JinjaTokenKind.Additive),
        ("**", JinjaTokenKind.Power), ("*", JinjaTokenKind.Multiplicative), ("//", JinjaTokenKind.Multiplicative),
        ("/", JinjaTokenKind.Multiplicative), ("%", JinjaTokenKind.Multiplicative),
        ("=", JinjaTokenKind.Equals),
    ];

    public static List<JinjaToken> Tokenize(JinjaSource source, string errorPrefix)
    {
        string src = source.Text;
        var tokens = new List<JinjaToken>();
        int pos = 0;
        int braceDepth = 0;

        while (pos < src.Length)
        {
            JinjaTokenKind? lastKind = tokens.Count == 0 ? null : tokens[^1].Kind;
            if (lastKind is null or JinjaTokenKind.CloseStatement or JinjaTokenKind.CloseExpression or JinjaTokenKind.Comment)
            {
                int start = pos;
                while (pos < src.Length && !(src[pos] == '{' && pos + 1 < src.Length && src[pos + 1] is '%' or '{' or '#')) pos++;
                if (pos > start)
                {
                    tokens.Add(new JinjaToken(JinjaTokenKind.Text, src[start..pos], source.LineAt(start)));
                    continue;
                }
            }

            if (At(src, pos, "{#"))
            {
                int line = source.LineAt(pos);
                pos += 2;
                bool stripBefore = pos < src.Length && src[pos] == '-';
                if (stripBefore) pos++;
                int end = src.IndexOf("#}", pos, StringComparison.Ordinal);
                if (end < 0) throw Fail(errorPrefix, "unclosed comment {# ... #}", line);
                string comment = src[pos..end];
                bool stripAfter = comment.EndsWith('-');
                if (stripBefore) StripTrailingWhitespace(tokens);
                tokens.Add(new JinjaToken(JinjaTokenKind.Comment, comment, line));
                pos = end + 2;
                if (stripAfter) pos = SkipWhitespace(src, pos);
                continue;
            }
            if (At(src, pos, "{%-"))
            {
                StripTrailingWhitespace(tokens);
                tokens.Add(new JinjaToken(JinjaTokenKind.OpenStatement, "{%", source.LineAt(pos)));
                pos += 3;
                continue;
            }
            if (At(src, pos, "{{-"))
            {
                StripTrailingWhitespace(tokens);
                tokens.Add(new JinjaToken(JinjaTokenKind.OpenExpression, "{{", source.LineAt(pos)));
                braceDepth = 0;
                pos += 3;
                continue;
            }

            pos = SkipWhitespace(src, pos);
            if (pos >= src.Length) throw Fail(errorPrefix, "unexpected end of template inside a tag", source.LineAt(pos));
            int tokenLine = source.LineAt(pos);
            if (At(src, pos, "-%}"))
            {
                tokens.Add(new JinjaToken(JinjaTokenKind.CloseStatement, "%}", tokenLine));
                pos = SkipWhitespace(src, pos + 3);
                continue;
            }
            if (At(src, pos, "-}}"))
            {
                tokens.Add(new JinjaToken(JinjaTokenKind.CloseExpression, "}}", tokenLine));
                pos = SkipWhitespace(src, pos + 3);
                continue;
            }

            char c = src[pos];
            if (c is '-' or '+')
            {
                if (lastKind is null or JinjaTokenKind.Text) throw Fail(errorPrefix, $"unexpected character '{c}'", tokenLine);
                if (lastKind is not (JinjaTokenKind.Identifier or JinjaTokenKind.Number or JinjaTokenKind.String
                    or JinjaTokenKind.CloseParen or JinjaTokenKind.CloseBracket))
                {
                    pos++;
                    string digits = ReadNumber(src, ref pos, allowFraction: true);
                    tokens.Add(digits.Length > 0
                        ? new JinjaToken(JinjaTokenKind.Number, c + digits, tokenLine)
                        : new JinjaToken(JinjaTokenKind.UnarySign, c.ToString(), tokenLine));
                    continue;
                }
            }

            bool matched = false;
            foreach ((string text, JinjaTokenKind kind) in Symbols)
            {
                if (text == "}}" && braceDepth > 0) continue;
                if (!At(src, pos, text)) continue;
                tokens.Add(new JinjaToken(kind, text, tokenLine));
                if (kind == JinjaTokenKind.OpenExpression) braceDepth = 0;
                else if (kind == JinjaTokenKind.OpenBrace) braceDepth++;
                else if (kind == JinjaTokenKind.CloseBrace) braceDepth--;
                pos += text.Length;
                matched = true;
                break;
            }
            if (matched) continue;

            if (c is '\'' or '"')
            {
                tokens.Add(new JinjaToken(JinjaTokenKind.String, ReadString(src, ref pos, errorPrefix, source), tokenLine));
                continue;
            }
            if (char.IsAsciiDigit(c))
            {
                bool afterDot = lastKind == JinjaTokenKind.Dot;
                tokens.Add(new JinjaToken(JinjaTokenKind.Number, ReadNumber(src, ref pos, allowFraction: !afterDot), tokenLine));
                continue;
            }
            if (IsWord(c))
            {
                int start = pos;
                while (pos < src.Length && IsWord(src[pos])) pos++;
                tokens.Add(new JinjaToken(JinjaTokenKind.Identifier, src[start..pos], tokenLine));
                continue;
            }
            throw Fail(errorPrefix, $"unexpected character '{c}'", tokenLine);
        }
        return tokens;
    }

    private static bool At(string s, int pos, string what) => string.CompareOrdinal(s, pos, what, 0, what.Length) == 0 && pos + what.Length <= s.Length;

    private static bool IsWord(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    /// <summary>JavaScript's <c>\s</c>: what <c>trim()</c> removes.</summary>
    public static bool IsJsWhitespace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\v' or '\f' or '\u00a0' or '\u1680'
        or (>= '\u2000' and <= '\u200a') or '\u2028' or '\u2029' or '\u202f' or '\u205f' or '\u3000' or '\ufeff';

    private static int SkipWhitespace(string src, int pos)
    {
        while (pos < src.Length && IsJsWhitespace(src[pos])) pos++;
        return pos;
    }

    private static void StripTrailingWhitespace(List<JinjaToken> tokens)
    {
        if (tokens.Count == 0 || tokens[^1].Kind != JinjaTokenKind.Text) return;
        string trimmed = tokens[^1].Value.TrimEnd(JsWhitespace);
        if (trimmed.Length == 0) tokens.RemoveAt(tokens.Count - 1);
        else tokens[^1] = tokens[^1] with { Value = trimmed };
    }

    private static readonly char[] JsWhitespace = [.. Enumerable.Range(0, 0x10000).Select(i => (char)i).Where(IsJsWhitespace)];

    /// <summary>Trims JavaScript whitespace at both ends, as <c>String.prototype.trim</c>.</summary>
    public static string JsTrim(string s) => s.Trim(JsWhitespace);

    public static string JsTrimStart(string s) => s.TrimStart(JsWhitespace);

    public static string JsTrimEnd(string s) => s.TrimEnd(JsWhitespace);

    private static string ReadNumber(string src, ref int pos, bool allowFraction)
    {
        int start = pos;
        while (pos < src.Length && char.IsAsciiDigit(src[pos])) pos++;
        if (allowFraction && pos > start && pos + 1 < src.Length && src[pos] == '.' && char.IsAsciiDigit(src[pos + 1]))
        {
            pos++;
            while (pos < src.Length && char.IsAsciiDigit(src[pos])) pos++;
        }
        return src[start..pos];
    }

    private static string ReadString(string src, ref int pos, string errorPrefix, JinjaSource source)
    {
        int line = source.LineAt(pos);
        char quote = src[pos++];
        var builder = new StringBuilder();
        while (true)
        {
            if (pos >= src.Length) throw Fail(errorPrefix, "unterminated string literal", line);
            char c = src[pos++];
            if (c == quote) return builder.ToString();
            if (c != '\\')
            {
                builder.Append(c);
                continue;
            }
            if (pos >= src.Length) throw Fail(errorPrefix, "unterminated string literal", line);
            char e = src[pos++];
            if (e is 'x' or 'u')
            {
                int length = e == 'x' ? 2 : 4;
                if (pos + length > src.Length || src.AsSpan(pos, length).IndexOfAnyExcept("0123456789abcdefABCDEF") >= 0)
                {
                    throw Fail(errorPrefix, $"invalid escape \\{e} in string literal", line);
                }
                builder.Append((char)Convert.ToInt32(src.Substring(pos, length), 16));
                pos += length;
                continue;
            }
            builder.Append(e switch
            {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                'b' => '\b',
                'f' => '\f',
                'v' => '\v',
                '\'' => '\'',
                '"' => '"',
                '\\' => '\\',
                _ => throw Fail(errorPrefix, $"unsupported escape \\{e} in string literal", line),
            });
        }
    }

    private static ChatTemplateException Fail(string prefix, string what, int line) => new($"{prefix}: {what} at line {line}");
}
