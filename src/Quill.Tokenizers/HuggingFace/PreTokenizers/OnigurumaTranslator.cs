// Translates the Oniguruma (Ruby syntax) regexes of tokenizer.json into .NET regexes, or names the construct it cannot.
using System.Text;
using System.Text.RegularExpressions;

namespace Quill.Tokenizers.HuggingFace.PreTokenizers;

/// <summary>
/// Hugging Face compiles patterns with Oniguruma's Ruby syntax: '^'/'$' are line anchors, <c>(?m)</c> means dot-all,
/// <c>?+ *+ ++</c> are possessive, <c>\h</c> is horizontal space, <c>\x{HHHH}</c> a code point. These are rewritten
/// (possessive → atomic group); constructs .NET lacks (absent operator, POSIX brackets, class intersection, \X, \R,
/// \K, \G, script properties) are refused. .NET matches UTF-16 units, so a property like \p{L} does not see letters
/// outside the Basic Multilingual Plane; the family patterns avoid this by running hand-written scanners instead.
/// </summary>
internal static class OnigurumaTranslator
{
    private static readonly HashSet<string> Categories =
    [
        "L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po",
        "S", "Sm", "Sc", "Sk", "So", "Z", "Zs", "Zl", "Zp", "C", "Cc", "Cf", "Cs", "Co", "Cn",
    ];

    private const string HorizontalSpace = @"\t\x20\xA0\u1680\u180E\u2000-\u200A\u202F\u205F\u3000";

    /// <summary>The .NET regex for <paramref name="pattern"/>; <paramref name="where"/> locates it for errors.</summary>
    public static Regex Translate(string pattern, JsonSection where)
    {
        string translated = TranslateText(pattern, where);
        try
        {
            return new Regex(translated, RegexOptions.Multiline | RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw where.Error($"expected a regex .NET can compile, found /{pattern}/ ({e.Message.Split('\n')[0]})");
        }
    }

    internal static string TranslateText(string pattern, JsonSection where)
    {
        var output = new StringBuilder(pattern.Length + 16);
        var groupStarts = new Stack<int>();
        int atomStart = -1;
        for (int i = 0; i < pattern.Length;)
        {
            char c = pattern[i];
            switch (c)
            {
                case '\\':
                    atomStart = output.Length;
                    i = Escape(pattern, i, output, inClass: false, where);
                    break;
                case '[':
                    atomStart = output.Length;
                    i = CharClass(pattern, i, output, where);
                    break;
                case '(':
                    groupStarts.Push(output.Length);
                    i = GroupOpen(pattern, i, output, where);
                    atomStart = -1;
                    break;
                case ')':
                    atomStart = groupStarts.Count > 0 ? groupStarts.Pop() : throw Unsupported(where, pattern, "an unbalanced ')'");
                    output.Append(')');
                    i++;
                    break;
                case '?' or '*' or '+':
                    output.Append(c);
                    i++;
                    if (i < pattern.Length && pattern[i] == '+')
                    {
                        // possessive: (?>atom q)
                        if (atomStart < 0) throw Unsupported(where, pattern, "a possessive quantifier without an atom");
                        output.Insert(atomStart, "(?>");
                        output.Append(')');
                        i++;
                    }
                    else if (i < pattern.Length && pattern[i] == '?')
                    {
                        output.Append('?');
                        i++;
                    }
                    atomStart = -1;
                    break;
                case '{':
                    int close = pattern.IndexOf('}', i);
                    if (close < 0) throw Unsupported(where, pattern, "an unclosed '{'");
                    output.Append(pattern, i, close - i + 1);
                    i = close + 1;
                    atomStart = -1;
                    break;
                default:
                    atomStart = output.Length;
                    output.Append(c);
                    i++;
                    break;
            }
        }
        if (groupStarts.Count > 0) throw Unsupported(where, pattern, "an unclosed '('");
        return output.ToString();
    }

    private static int GroupOpen(string pattern, int i, StringBuilder output, JsonSection where)
    {
        if (i + 1 >= pattern.Length || pattern[i + 1] != '?')
        {
            output.Append('(');
            return i + 1;
        }
        string rest = pattern[(i + 2)..];
        foreach (string prefix in new[] { ":", "=", "!", "<=", "<!", ">", "#" })
        {
            if (rest.StartsWith(prefix, StringComparison.Ordinal))
            {
                output.Append("(?").Append(prefix);
                return i + 2 + prefix.Length;
            }
        }
        if (rest.StartsWith('<') || rest.StartsWith('\''))
        {
            output.Append("(?");
            return i + 2;
        }
        if (rest.StartsWith('~')) throw Unsupported(where, pattern, "the absent operator (?~...)");
        // inline options: (?imx-imx) or (?imx-imx:...); Ruby's m is .NET's s
        int j = 0;
        var options = new StringBuilder();
        while (j < rest.Length && rest[j] is 'i' or 'm' or 'x' or '-')
        {
            options.Append(rest[j] == 'm' ? 's' : rest[j]);
            j++;
        }
        if (j == 0 || j >= rest.Length || rest[j] is not (':' or ')')) throw Unsupported(where, pattern, $"the group '(?{Head(rest)}'");
        output.Append("(?").Append(options).Append(rest[j]);
        return i + 2 + j + 1;
    }

    private static int CharClass(string pattern, int i, StringBuilder output, JsonSection where)
    {
        output.Append('[');
        i++;
        if (i < pattern.Length && pattern[i] == '^') output.Append(pattern[i++]);
        if (i < pattern.Length && pattern[i] == ']') output.Append(pattern[i++]);
        while (i < pattern.Length && pattern[i] != ']')
        {
            char c = pattern[i];
            if (c == '\\')
            {
                i = Escape(pattern, i, output, inClass: true, where);
                continue;
            }
            if (c == '[')
            {
                if (i + 1 < pattern.Length && pattern[i + 1] == ':') throw Unsupported(where, pattern, "a POSIX bracket [:...:]");
                throw Unsupported(where, pattern, "a nested character class");
            }
            if (c == '&' && i + 1 < pattern.Length && pattern[i + 1] == '&') throw Unsupported(where, pattern, "class intersection &&");
            output.Append(c);
            i++;
        }
        if (i >= pattern.Length) throw Unsupported(where, pattern, "an unclosed '['");
        output.Append(']');
        return i + 1;
    }

    private static int Escape(string pattern, int i, StringBuilder output, bool inClass, JsonSection where)
    {
        if (i + 1 >= pattern.Length) throw Unsupported(where, pattern, "a trailing backslash");
        char e = pattern[i + 1];
        switch (e)
        {
            case 'p' or 'P':
                int close = pattern.IndexOf('}', i);
                if (i + 2 >= pattern.Length || pattern[i + 2] != '{' || close < 0) throw Unsupported(where, pattern, $"\\{e} without {{...}}");
                string name = pattern[(i + 3)..close];
                bool negate = name.StartsWith('^');
                if (negate) name = name[1..];
                if (!Categories.Contains(name)) throw Unsupported(where, pattern, $"the property \\{e}{{{name}}}");
                output.Append('\\').Append(negate ^ (e == 'P') ? 'P' : 'p').Append('{').Append(name).Append('}');
                return close + 1;
            case 'h':
                output.Append(inClass ? HorizontalSpace : $"[{HorizontalSpace}]");
                return i + 2;
            case 'H':
                if (inClass) throw Unsupported(where, pattern, "\\H inside a character class");
                output.Append($"[^{HorizontalSpace}]");
                return i + 2;
            case 'x' when i + 2 < pattern.Length && pattern[i + 2] == '{':
                int end = pattern.IndexOf('}', i);
                int value = end > 0 && int.TryParse(pattern.AsSpan(i + 3, end - i - 3), System.Globalization.NumberStyles.HexNumber, null, out int v) ? v : -1;
                if (value is < 0 or > 0xFFFF) throw Unsupported(where, pattern, $"the code point escape {pattern[i..(end < 0 ? pattern.Length : end + 1)]}");
                output.Append($"\\u{value:X4}");
                return end + 1;
            case 'X' or 'R' or 'K' or 'G' or 'g' or 'y' or 'Y' or 'O' or 'N':
                throw Unsupported(where, pattern, $"the escape \\{e}");
            default:
                output.Append('\\').Append(e);
                return i + 2;
        }
    }

    private static string Head(string text) => text.Length <= 8 ? text : text[..8];

    private static InvalidDataException Unsupported(JsonSection where, string pattern, string construct) =>
        where.Error($"expected a regex without {construct} (not translatable to .NET), found /{pattern}/");
}
