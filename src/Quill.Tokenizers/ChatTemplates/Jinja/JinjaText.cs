// How template values become text: printed output, string concatenation, tojson and JavaScript's number format, all as @huggingface/jinja writes them.
using System.Globalization;
using System.Text;

namespace Quill.Tokenizers.ChatTemplates.Jinja;

internal static class JinjaText
{
    /// <summary>What <c>{{ value }}</c> prints: floats keep ".0", booleans print true/false, lists and dicts as JSON.</summary>
    public static string Output(object? value) => value switch
    {
        null or JinjaUndefined => "",
        string s => s,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FloatText(d),
        List<object?> or JinjaDict or JinjaNamespace => Json(value, JsonOptions.Default, 0, undefinedAsNull: false),
        JinjaFunction f => $"<function {f.Name}>",
        _ => value.ToString() ?? "",
    };

    /// <summary>A float as Python prints it for the common cases: 2.0, 0.5, -0.0.</summary>
    public static string FloatText(double d)
    {
        if (d == 0 && double.IsNegative(d)) return "-0.0";
        if (double.IsInteger(d) && Math.Abs(d) < 1e21) return d.ToString("F0", CultureInfo.InvariantCulture) + ".0";
        return JsNumber(d);
    }

    /// <summary>The text <c>~</c> and string <c>+</c> join: JavaScript's String(value), so 1.0 gives "1".</summary>
    public static string Concatenated(object? value) => value switch
    {
        null => "None",
        JinjaUndefined => "",
        string s => s,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => JsNumber(d),
        List<object?> list => string.Join(",", list.Select(item => item switch
        {
            null => "null",
            JinjaUndefined => "undefined",
            _ => Output(item),
        })),
        JinjaDict => "[object Map]",
        _ => Output(value),
    };

    /// <summary>JavaScript's Number.prototype.toString: shortest round-trip digits, exponent past 1e21 and below 1e-6.</summary>
    public static string JsNumber(double d)
    {
        if (double.IsNaN(d)) return "NaN";
        if (double.IsInfinity(d)) return d > 0 ? "Infinity" : "-Infinity";
        if (d == 0) return "0";
        string r = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        int e = r.IndexOfAny(['E', 'e']);
        string mantissa = e < 0 ? r : r[..e];
        int exponent = e < 0 ? 0 : int.Parse(r[(e + 1)..], CultureInfo.InvariantCulture);
        int dot = mantissa.IndexOf('.');
        string digits = dot < 0 ? mantissa : mantissa.Remove(dot, 1);
        int n = (dot < 0 ? mantissa.Length : dot) + exponent; // value = 0.digits * 10^n
        int lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0') lead++;
        digits = digits[lead..];
        n -= lead;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        int k = digits.Length;
        string sign = d < 0 ? "-" : "";
        if (k <= n && n <= 21) return sign + digits + new string('0', n - k);
        if (0 < n && n <= 21) return sign + digits[..n] + "." + digits[n..];
        if (-6 < n && n <= 0) return sign + "0." + new string('0', -n) + digits;
        int exp = n - 1;
        string expText = (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString(CultureInfo.InvariantCulture);
        return sign + (k == 1 ? digits : digits[0] + "." + digits[1..]) + "e" + expText;
    }

    public sealed record JsonOptions(int? Indent, bool EnsureAscii, string? ItemSeparator, string? KeySeparator, bool SortKeys)
    {
        public static readonly JsonOptions Default = new(null, false, null, null, false);
    }

    /// <summary>The <c>tojson</c> filter: Python json.dumps layout (", " and ": ", or "," with an indent), keys in order.</summary>
    public static string Json(object? value, JsonOptions options, int depth, bool undefinedAsNull = true)
    {
        string itemSeparator = options.ItemSeparator ?? (options.Indent is > 0 ? "," : ", ");
        string keySeparator = options.KeySeparator ?? ": ";
        switch (value)
        {
            case null: return "null";
            case JinjaUndefined: return undefinedAsNull ? "null" : "undefined";
            case bool b: return b ? "true" : "false";
            case long l: return l.ToString(CultureInfo.InvariantCulture);
            case double d: return double.IsFinite(d) ? JsNumber(d) : "null";
            case string s: return JsonString(s, options.EnsureAscii);
            case List<object?> list:
            {
                if (list.Count == 0) return "[]";
                string[] items = [.. list.Select(v => Json(v, options, depth + 1, undefinedAsNull))];
                if (options.Indent is not > 0) return "[" + string.Join(itemSeparator, items) + "]";
                string pad = "\n" + new string(' ', options.Indent.Value * depth);
                string childPad = pad + new string(' ', options.Indent.Value);
                return "[" + childPad + string.Join(itemSeparator + childPad, items) + pad + "]";
            }
            case JinjaDict or JinjaNamespace:
            {
                JinjaDict dict = value as JinjaDict ?? ((JinjaNamespace)value).Values;
                if (dict.Count == 0) return "{}";
                IEnumerable<KeyValuePair<string, object?>> entries = dict;
                if (options.SortKeys) entries = entries.OrderBy(kv => kv.Key, StringComparer.InvariantCulture);
                bool indented = options.Indent is > 0;
                string pad = indented ? "\n" + new string(' ', options.Indent!.Value * depth) : "";
                string childPad = indented ? pad + new string(' ', options.Indent!.Value) : "";
                string[] items = [.. entries.Select(kv => childPad + JsonString(kv.Key, options.EnsureAscii) + keySeparator
                    + Json(kv.Value, options, depth + 1, undefinedAsNull))];
                return "{" + string.Join(itemSeparator, items) + pad + "}";
            }
            default:
                throw new JinjaRuntimeException($"cannot convert a {JinjaValue.TypeName(value)} to JSON");
        }
    }

    /// <summary>JSON.stringify of a string: escapes quotes, backslashes, control characters and lone surrogates only.</summary>
    public static string JsonString(string s, bool ensureAscii)
    {
        var b = new StringBuilder(s.Length + 2);
        b.Append('"');
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            switch (c)
            {
                case '"': b.Append("\\\""); break;
                case '\\': b.Append("\\\\"); break;
                case '\b': b.Append("\\b"); break;
                case '\f': b.Append("\\f"); break;
                case '\n': b.Append("\\n"); break;
                case '\r': b.Append("\\r"); break;
                case '\t': b.Append("\\t"); break;
                default:
                    bool loneSurrogate = char.IsHighSurrogate(c) ? !(i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                        : char.IsLowSurrogate(c) && !(i > 0 && char.IsHighSurrogate(s[i - 1]));
                    if (c < 0x20 || loneSurrogate || (ensureAscii && c >= 0x7f)) b.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else b.Append(c);
                    break;
            }
        }
        return b.Append('"').ToString();
    }
}
