// The filters chat templates use (tojson, trim, join, selectattr, map, ...) with @huggingface/jinja's results, and
// Jinja's where that library raises; unknown names are rejected by the parser. Not tests or methods.
using System.Globalization;
using System.Text.RegularExpressions;

namespace Quill.Tokenizers.ChatTemplates.Jinja;

internal static partial class JinjaFilters
{
    private static readonly HashSet<string> Names =
    [
        "safe", "tojson", "list", "first", "last", "length", "count", "reverse", "sort", "join", "string", "unique",
        "upper", "lower", "title", "capitalize", "trim", "indent", "int", "float", "abs", "round", "items", "dictsort",
        "default", "d", "selectattr", "rejectattr", "map", "replace",
    ];

    public static bool IsKnown(string name) => Names.Contains(name);

    public static object? Apply(string name, object? operand, List<object?> args, JinjaDict kwargs)
    {
        object? Arg(int index, string keyword, object? fallback) =>
            index < args.Count ? args[index] : kwargs.TryGetValue(keyword, out object? v) ? v : fallback;

        switch (name)
        {
            case "safe":
                return operand;
            case "tojson":
            {
                object? indent = Arg(0, "indent", null);
                if (indent is not (null or long)) throw new JinjaRuntimeException("tojson indent must be an integer");
                string? itemSeparator = null, keySeparator = null;
                if (kwargs.GetValueOrDefault("separators") is List<object?> { Count: 2 } separators)
                {
                    itemSeparator = separators[0] as string ?? throw new JinjaRuntimeException("tojson separators must be two strings");
                    keySeparator = separators[1] as string ?? throw new JinjaRuntimeException("tojson separators must be two strings");
                }
                var options = new JinjaText.JsonOptions((int?)(long?)indent, JinjaValue.Truthy(kwargs.GetValueOrDefault("ensure_ascii", false)),
                    itemSeparator, keySeparator, JinjaValue.Truthy(kwargs.GetValueOrDefault("sort_keys", false)));
                return JinjaText.Json(operand, options, 0);
            }
            case "default" or "d":
            {
                object? fallback = Arg(0, "default_value", "");
                bool boolean = JinjaValue.Truthy(Arg(1, "boolean", false));
                return operand is JinjaUndefined || (boolean && !JinjaValue.Truthy(operand)) ? fallback : operand;
            }
            case "length" or "count":
                return operand switch
                {
                    List<object?> list => (long)list.Count,
                    string s => (long)s.Length,
                    JinjaDict dict => (long)dict.Count,
                    JinjaUndefined => 0L,
                    _ => throw Cannot(name, operand),
                };
            case "string":
                return operand switch
                {
                    string s => s,
                    List<object?> or JinjaDict or JinjaNamespace => JinjaText.Json(operand, JinjaText.JsonOptions.Default, 0, undefinedAsNull: false),
                    _ => operand is double d ? JinjaText.FloatText(d) : JinjaText.Concatenated(operand),
                };
            case "list":
                return operand switch
                {
                    List<object?> list => list,
                    string s => CodePoints(s).Select(c => (object?)c).ToList(),
                    JinjaDict dict => dict.Keys.Select(k => (object?)k).ToList(),
                    JinjaUndefined => new List<object?>(),
                    _ => throw Cannot(name, operand),
                };
            case "first" or "last":
                return operand switch
                {
                    List<object?> list => list.Count == 0 ? JinjaValue.Undefined : name == "first" ? list[0] : list[^1],
                    string s => CodePoints(s) is var cs && cs.Count == 0 ? JinjaValue.Undefined : name == "first" ? cs[0] : cs[^1],
                    _ => throw Cannot(name, operand),
                };
            case "reverse":
                return operand switch
                {
                    List<object?> list => Enumerable.Reverse(list).ToList(),
                    string s => string.Concat(Enumerable.Reverse(CodePoints(s))),
                    _ => throw Cannot(name, operand),
                };
            case "unique":
            {
                if (operand is not List<object?> list) throw Cannot(name, operand);
                var output = new List<object?>();
                foreach (object? item in list)
                {
                    if (!output.Any(seen => JinjaValue.StrictEquals(seen, item))) output.Add(item);
                }
                return output;
            }
            case "join":
            {
                string separator = Arg(0, "d", "") as string ?? throw new JinjaRuntimeException("join separator must be a string");
                return operand switch
                {
                    List<object?> list => string.Join(separator, list.Select(JoinText)),
                    string s => string.Join(separator, CodePoints(s)),
                    _ => throw Cannot(name, operand),
                };
            }
            case "sort":
            {
                if (operand is not List<object?> list) throw Cannot(name, operand);
                bool reverse = JinjaValue.Truthy(Arg(0, "reverse", false));
                bool caseSensitive = JinjaValue.Truthy(Arg(1, "case_sensitive", false));
                object? attribute = Arg(2, "attribute", null);
                object? Key(object? item) => attribute switch
                {
                    null => item,
                    string path => AttributePath(item, path),
                    long index => AttributePath(item, index.ToString(CultureInfo.InvariantCulture)),
                    _ => throw new JinjaRuntimeException("sort attribute must be a string or an integer"),
                };
                var comparer = Comparer<object?>.Create((a, b) => (reverse ? -1 : 1) * Compare(Key(a), Key(b), caseSensitive));
                return list.OrderBy(x => x, comparer).ToList();
            }
            case "dictsort":
                return operand is JinjaDict sortable ? DictSort(sortable, args, kwargs) : throw Cannot(name, operand);
            case "items":
                return operand switch
                {
                    JinjaDict dict => JinjaMembers.Items(dict),
                    JinjaUndefined => new List<object?>(),
                    _ => throw Cannot(name, operand),
                };
            case "upper" or "lower" or "title" or "capitalize" or "trim":
            {
                if (operand is not string s) throw Cannot(name, operand);
                return name switch
                {
                    "upper" => s.ToUpperInvariant(),
                    "lower" => s.ToLowerInvariant(),
                    "title" => JinjaMembers.Title(s),
                    "capitalize" => JinjaMembers.Capitalize(s),
                    _ => Arg(0, "chars", null) is string chars ? s.Trim(chars.ToCharArray()) : JinjaLexer.JsTrim(s),
                };
            }
            case "replace":
            {
                if (operand is not string s) throw Cannot(name, operand);
                if (args.Count < 2 || args[0] is not string old || args[1] is not string with)
                    throw new JinjaRuntimeException("replace needs two string arguments");
                return JinjaMembers.Replace(s, old, with, Arg(2, "count", null));
            }
            case "indent":
            {
                if (operand is not string s) throw Cannot(name, operand);
                string pad = Arg(0, "width", 4L) switch
                {
                    long w => new string(' ', (int)Math.Max(0, w)),
                    string text => text,
                    _ => throw new JinjaRuntimeException("indent width must be an integer or a string"),
                };
                bool first = JinjaValue.Truthy(Arg(1, "first", false)), blank = JinjaValue.Truthy(Arg(2, "blank", false));
                string[] lines = s.Split('\n');
                for (int i = 0; i < lines.Length; i++)
                {
                    if ((first || i > 0) && (blank || lines[i].Length > 0)) lines[i] = pad + lines[i];
                }
                return string.Join('\n', lines);
            }
            case "int":
                return operand switch
                {
                    string s => ParseInt(s) ?? Arg(0, "default", 0L),
                    long l => l,
                    double d => double.IsFinite(d) ? (long)Math.Floor(d) : throw Cannot(name, operand),
                    bool b => b ? 1L : 0L,
                    _ => throw Cannot(name, operand),
                };
            case "float":
                return operand switch
                {
                    string s => ParseFloat(s) ?? Arg(0, "default", 0.0),
                    long l => (double)l,
                    double d => d,
                    bool b => b ? 1.0 : 0.0,
                    _ => throw Cannot(name, operand),
                };
            case "abs":
                return operand switch
                {
                    long l => (object)Math.Abs(l),
                    double d => Math.Abs(d),
                    _ => throw Cannot(name, operand),
                };
            case "round":
            {
                if (operand is not (long or double)) throw Cannot(name, operand);
                int precision = Arg(0, "precision", 0L) is long p ? (int)p : throw new JinjaRuntimeException("round precision must be an integer");
                string method = Arg(1, "method", "common") as string ?? "common";
                double value = JinjaValue.ToDouble(operand), scale = Math.Pow(10, precision);
                return method switch
                {
                    "common" => Math.Round(value * scale, MidpointRounding.AwayFromZero) / scale,
                    "floor" => Math.Floor(value * scale) / scale,
                    "ceil" => Math.Ceiling(value * scale) / scale,
                    _ => throw new JinjaRuntimeException("round method must be 'common', 'ceil' or 'floor'"),
                };
            }
            case "selectattr" or "rejectattr":
                return SelectAttribute(name, operand, args);
            case "map":
                return Map(operand, args, kwargs);
            default:
                throw new JinjaRuntimeException($"unsupported filter '{name}'");
        }
    }

    public static List<object?> DictSort(JinjaDict dict, List<object?> args, JinjaDict kwargs)
    {
        bool caseSensitive = JinjaValue.Truthy(args.Count > 0 ? args[0] : kwargs.GetValueOrDefault("case_sensitive", false));
        string by = (args.Count > 1 ? args[1] : kwargs.GetValueOrDefault("by", "key")) as string ?? "key";
        if (by is not ("key" or "value")) throw new JinjaRuntimeException("dictsort by must be 'key' or 'value'");
        bool reverse = JinjaValue.Truthy(args.Count > 2 ? args[2] : kwargs.GetValueOrDefault("reverse", false));
        int index = by == "key" ? 0 : 1;
        var comparer = Comparer<object?>.Create((a, b) =>
            (reverse ? -1 : 1) * Compare(((List<object?>)a!)[index], ((List<object?>)b!)[index], caseSensitive));
        return JinjaMembers.Items(dict).OrderBy(x => x, comparer).ToList();
    }

    /// <summary>@huggingface/jinja's sort order: numbers (and booleans) by value, strings (case-insensitive unless asked); other mixes raise.</summary>
    public static int Compare(object? a, object? b, bool caseSensitive)
    {
        if (a is null && b is null || a is JinjaUndefined && b is JinjaUndefined) return 0;
        if (a is long or double or bool && b is long or double or bool) return JinjaValue.ToDouble(a).CompareTo(JinjaValue.ToDouble(b));
        if (a is string x && b is string y)
        {
            if (!caseSensitive) (x, y) = (x.ToLowerInvariant(), y.ToLowerInvariant());
            return string.CompareOrdinal(x, y) switch { < 0 => -1, > 0 => 1, _ => 0 };
        }
        throw new JinjaRuntimeException($"cannot compare a {JinjaValue.TypeName(a)} with a {JinjaValue.TypeName(b)}");
    }

    private static object? AttributePath(object? item, string path)
    {
        object? value = item;
        foreach (string part in path.Split('.'))
        {
            value = value switch
            {
                JinjaDict dict => dict.TryGetValue(part, out object? v) ? v : JinjaValue.Undefined,
                JinjaNamespace ns => ns.Values.TryGetValue(part, out object? v) ? v : JinjaValue.Undefined,
                List<object?> list => int.TryParse(part, out int i) && i >= 0 && i < list.Count ? list[i] : JinjaValue.Undefined,
                _ => JinjaValue.Undefined,
            };
            if (value is JinjaUndefined) return value;
        }
        return value;
    }

    private static List<object?> SelectAttribute(string name, object? operand, List<object?> args)
    {
        if (operand is not List<object?> list) throw Cannot(name, operand);
        if (args.Count == 0 || args[0] is not string attribute) throw new JinjaRuntimeException($"{name} needs an attribute name");
        string? test = args.Count > 1 ? args[1] as string ?? throw new JinjaRuntimeException($"{name} test name must be a string") : null;
        if (test is not null && !JinjaTests.IsKnown(test)) throw new JinjaRuntimeException($"unsupported test '{test}'");
        object? argument = args.Count > 2 ? args[2] : JinjaValue.Undefined;
        bool select = name == "selectattr";
        var output = new List<object?>();
        foreach (object? item in list)
        {
            JinjaDict values = item as JinjaDict ?? (item as JinjaNamespace)?.Values
                ?? throw new JinjaRuntimeException($"{name} needs a list of dicts, found a {JinjaValue.TypeName(item)} in it");
            bool result = values.TryGetValue(attribute, out object? value)
                && (test is null ? JinjaValue.Truthy(value) : JinjaTests.Run(test, value, argument));
            if (result == select) output.Add(item);
        }
        return output;
    }

    private static List<object?> Map(object? operand, List<object?> args, JinjaDict kwargs)
    {
        if (operand is not List<object?> list) throw Cannot("map", operand);
        if (kwargs.TryGetValue("attribute", out object? attributeValue))
        {
            string attribute = attributeValue as string ?? throw new JinjaRuntimeException("map attribute must be a string");
            object? fallback = kwargs.GetValueOrDefault("default", JinjaValue.Undefined);
            return [.. list.Select(item => item is JinjaDict or JinjaNamespace
                ? AttributePath(item, attribute) is var v && v is JinjaUndefined ? fallback : v
                : throw new JinjaRuntimeException("map(attribute=...) needs a list of dicts"))];
        }
        if (args.Count > 0 && args[0] is string filter)
        {
            if (!IsKnown(filter)) throw new JinjaRuntimeException($"unsupported filter '{filter}'");
            List<object?> rest = args.GetRange(1, args.Count - 1);
            return [.. list.Select(item => Apply(filter, item, rest, kwargs))];
        }
        throw new JinjaRuntimeException("map needs attribute=... or a filter name");
    }

    private static string JoinText(object? value) => value is null or JinjaUndefined ? "" : JinjaText.Concatenated(value);

    private static List<string> CodePoints(string s)
    {
        var points = new List<string>(s.Length);
        for (int i = 0; i < s.Length; i += char.IsSurrogatePair(s, i) ? 2 : 1) points.Add(s.Substring(i, char.IsSurrogatePair(s, i) ? 2 : 1));
        return points;
    }

    /// <summary>JavaScript's parseInt(s, 10): leading whitespace, a sign, then digits; null when there are none.</summary>
    private static long? ParseInt(string s)
    {
        Match m = IntegerPrefix().Match(JinjaLexer.JsTrimStart(s));
        return m.Success && long.TryParse(m.Value, CultureInfo.InvariantCulture, out long v) ? v : null;
    }

    /// <summary>JavaScript's parseFloat: the longest number prefix after leading whitespace; null when there is none.</summary>
    private static double? ParseFloat(string s)
    {
        string t = JinjaLexer.JsTrimStart(s);
        if (t.StartsWith("Infinity", StringComparison.Ordinal) || t.StartsWith("+Infinity", StringComparison.Ordinal)) return double.PositiveInfinity;
        if (t.StartsWith("-Infinity", StringComparison.Ordinal)) return double.NegativeInfinity;
        Match m = FloatPrefix().Match(t);
        return m.Success ? double.Parse(m.Value, CultureInfo.InvariantCulture) : null;
    }

    [GeneratedRegex(@"^[+-]?\d+")]
    private static partial Regex IntegerPrefix();

    [GeneratedRegex(@"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")]
    private static partial Regex FloatPrefix();

    private static JinjaRuntimeException Cannot(string filter, object? operand) =>
        new($"filter '{filter}' cannot apply to a {JinjaValue.TypeName(operand)}");
}
