// Attribute and index access (dict keys, list and string indexes) and the string and dict methods templates call;
// not filters. Follows @huggingface/jinja, plus Python's strip(chars) and str.join.
using System.Text;

namespace Quill.Tokenizers.ChatTemplates.Jinja;

internal static class JinjaMembers
{
    /// <summary><c>target.key</c> / <c>target[key]</c>: a dict entry, then a method; a list or string element; else undefined.</summary>
    public static object? Get(object? target, object? key)
    {
        switch (target)
        {
            case JinjaDict or JinjaNamespace:
            {
                if (key is not string name)
                    throw new JinjaRuntimeException($"a {JinjaValue.TypeName(target)} key must be a string, found a {JinjaValue.TypeName(key)}");
                JinjaDict values = target as JinjaDict ?? ((JinjaNamespace)target).Values;
                if (values.TryGetValue(name, out object? value)) return value;
                return target is JinjaDict dict ? DictMethod(dict, name) : JinjaValue.Undefined;
            }
            case List<object?> list:
                return key switch
                {
                    long index => At(list.Count, index) is int i ? list[i] : JinjaValue.Undefined,
                    string name => name == "length" ? (long)list.Count : JinjaValue.Undefined,
                    _ => throw new JinjaRuntimeException($"a list index must be an integer, found a {JinjaValue.TypeName(key)}"),
                };
            case string s:
                return key switch
                {
                    long index => At(s.Length, index) is int i ? s[i].ToString() : JinjaValue.Undefined,
                    string name => StringMethod(s, name),
                    _ => throw new JinjaRuntimeException($"a string index must be an integer, found a {JinjaValue.TypeName(key)}"),
                };
            default:
                return JinjaValue.Undefined;
        }
    }

    private static int? At(int count, long index)
    {
        long i = index < 0 ? count + index : index;
        return i >= 0 && i < count ? (int)i : null;
    }

    private static object? DictMethod(JinjaDict dict, string name) => name switch
    {
        "get" => new JinjaFunction("get", (a, _, _) =>
            a.Count > 0 && a[0] is string key ? (dict.TryGetValue(key, out object? v) ? v : a.Count > 1 ? a[1] : null)
                : throw new JinjaRuntimeException("dict.get needs a string key")),
        "items" => new JinjaFunction("items", (_, _, _) => Items(dict)),
        "keys" => new JinjaFunction("keys", (_, _, _) => dict.Keys.Select(k => (object?)k).ToList()),
        "values" => new JinjaFunction("values", (_, _, _) => dict.Values.ToList()),
        "dictsort" => new JinjaFunction("dictsort", (a, kw, _) => JinjaFilters.DictSort(dict, a, kw)),
        _ => JinjaValue.Undefined,
    };

    public static List<object?> Items(JinjaDict dict) => [.. dict.Select(kv => (object?)new List<object?> { kv.Key, kv.Value })];

    private static object? StringMethod(string s, string name) => name switch
    {
        "length" => (long)s.Length,
        "upper" => Method(name, _ => s.ToUpperInvariant()),
        "lower" => Method(name, _ => s.ToLowerInvariant()),
        "title" => Method(name, _ => Title(s)),
        "capitalize" => Method(name, _ => Capitalize(s)),
        "strip" => Method(name, a => Chars(a) is string c ? s.Trim(c.ToCharArray()) : JinjaLexer.JsTrim(s)),
        "lstrip" => Method(name, a => Chars(a) is string c ? s.TrimStart(c.ToCharArray()) : JinjaLexer.JsTrimStart(s)),
        "rstrip" => Method(name, a => Chars(a) is string c ? s.TrimEnd(c.ToCharArray()) : JinjaLexer.JsTrimEnd(s)),
        "startswith" => Method(name, a => Affix(s, a, name, (x, p) => x.StartsWith(p, StringComparison.Ordinal))),
        "endswith" => Method(name, a => Affix(s, a, name, (x, p) => x.EndsWith(p, StringComparison.Ordinal))),
        "split" => Method(name, a => Split(s, a.Count > 0 ? a[0] : null, a.Count > 1 ? a[1] : -1L)),
        "replace" => new JinjaFunction(name, (a, kw, _) => a.Count >= 2 && a[0] is string o && a[1] is string n
            ? Replace(s, o, n, a.Count > 2 ? a[2] : kw.GetValueOrDefault("count"))
            : throw new JinjaRuntimeException("replace() needs two string arguments")),
        "join" => Method(name, a => a.Count > 0 && a[0] is List<object?> items
            ? string.Join(s, items.Select(JinjaText.Concatenated)) : throw new JinjaRuntimeException("join() needs a list")),
        _ => JinjaValue.Undefined,
    };

    private static JinjaFunction Method(string name, Func<List<object?>, object?> body) => new(name, (a, _, _) => body(a));

    private static string? Chars(List<object?> arguments) => arguments.Count > 0 && arguments[0] is string chars ? chars : null;

    private static bool Affix(string s, List<object?> arguments, string name, Func<string, string, bool> test) => arguments.Count == 0
        ? throw new JinjaRuntimeException($"{name}() needs an argument")
        : arguments[0] switch
        {
            string p => test(s, p),
            List<object?> options => options.Any(o => o is string p ? test(s, p) : throw new JinjaRuntimeException($"{name}() tuple items must be strings")),
            var other => throw new JinjaRuntimeException($"{name}() needs a string or a tuple of strings, found a {JinjaValue.TypeName(other)}"),
        };

    /// <summary>JavaScript's /\b\w/g upper-cased: the first ASCII word character after a non-word character.</summary>
    public static string Title(string s)
    {
        var b = new StringBuilder(s);
        for (int i = 0; i < b.Length; i++)
        {
            if (IsWord(b[i]) && (i == 0 || !IsWord(s[i - 1]))) b[i] = char.ToUpperInvariant(b[i]);
        }
        return b.ToString();
    }

    private static bool IsWord(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    public static string Capitalize(string s) => s.Length == 0 ? s : s[..1].ToUpperInvariant() + s[1..];

    /// <summary>Python's str.split(sep=None, maxsplit=-1).</summary>
    public static List<object?> Split(string s, object? separator, object? maxSplit)
    {
        long max = maxSplit is long m ? m : throw new JinjaRuntimeException("split() maxsplit must be an integer");
        var result = new List<object?>();
        if (separator is null or JinjaUndefined)
        {
            int i = 0;
            while (true)
            {
                while (i < s.Length && JinjaLexer.IsJsWhitespace(s[i])) i++;
                if (i >= s.Length) break;
                if (max != -1 && result.Count >= max)
                {
                    result.Add(s[i..]);
                    break;
                }
                int start = i;
                while (i < s.Length && !JinjaLexer.IsJsWhitespace(s[i])) i++;
                result.Add(s[start..i]);
            }
            return result;
        }
        if (separator is not string sep) throw new JinjaRuntimeException("split() separator must be a string or none");
        if (sep.Length == 0) throw new JinjaRuntimeException("split() separator is empty");
        string[] parts = max < 0 ? s.Split(sep) : s.Split(sep, (int)Math.Min(max + 1, int.MaxValue));
        result.AddRange(parts);
        return result;
    }

    /// <summary>Python's str.replace(old, new, count), an empty <paramref name="old"/> inserting between characters.</summary>
    public static string Replace(string s, string old, string with, object? count)
    {
        long remaining = count switch
        {
            null or JinjaUndefined => long.MaxValue,
            long c => c < 0 ? long.MaxValue : c,
            _ => throw new JinjaRuntimeException("replace() count must be an integer"),
        };
        if (remaining == 0) return s;
        var b = new StringBuilder();
        if (old.Length == 0)
        {
            var positions = new List<int>();
            for (int i = 0; i < s.Length; i += char.IsSurrogatePair(s, i) ? 2 : 1) positions.Add(i);
            positions.Add(s.Length);
            int last = 0;
            foreach (int p in positions)
            {
                if (remaining-- <= 0) break;
                b.Append(s, last, p - last).Append(with);
                last = p;
            }
            return b.Append(s, last, s.Length - last).ToString();
        }
        int from = 0;
        while (remaining > 0)
        {
            int at = s.IndexOf(old, from, StringComparison.Ordinal);
            if (at < 0) break;
            b.Append(s, from, at - from).Append(with);
            from = at + old.Length;
            remaining--;
        }
        return b.Append(s, from, s.Length - from).ToString();
    }
}
