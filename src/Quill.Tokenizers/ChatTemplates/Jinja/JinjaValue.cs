// The runtime values of the Jinja subset and their truthiness, equality and conversion from .NET/JSON.
using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Quill.Tokenizers.ChatTemplates.Jinja;

/// <summary>
/// Values are plain objects: <c>null</c> (none), <see cref="JinjaUndefined"/>, bool, long (integer), double (float),
/// string, <see cref="List{T}"/> of values (a <see cref="JinjaTuple"/> for tuples), <see cref="JinjaDict"/> (keys in
/// insertion order), <see cref="JinjaNamespace"/> and <see cref="JinjaFunction"/>.
/// </summary>
internal static class JinjaValue
{
    public static readonly object Undefined = JinjaUndefined.Instance;

    public static bool IsUndefined(object? value) => value is JinjaUndefined;

    public static bool IsNumber(object? value) => value is long or double;

    /// <summary>Python truthiness: empty strings, lists and dicts, zero, none and undefined are false.</summary>
    public static bool Truthy(object? value) => value switch
    {
        null or JinjaUndefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0 && !double.IsNaN(d),
        string s => s.Length > 0,
        List<object?> list => list.Count > 0,
        JinjaDict dict => dict.Count > 0,
        _ => true,
    };

    /// <summary>The type name used in error messages.</summary>
    public static string TypeName(object? value) => value switch
    {
        null => "none",
        JinjaUndefined => "undefined",
        bool => "boolean",
        long => "integer",
        double => "float",
        string => "string",
        JinjaTuple => "tuple",
        List<object?> => "list",
        JinjaDict => "dict",
        JinjaNamespace => "namespace",
        JinjaFunction => "function",
        _ => value.GetType().Name,
    };

    /// <summary>Equality as @huggingface/jinja's <c>==</c> (JavaScript's loose equality on the underlying values).</summary>
    public static bool LooseEquals(object? a, object? b)
    {
        if (a is null or JinjaUndefined || b is null or JinjaUndefined) return a is null or JinjaUndefined && b is null or JinjaUndefined;
        if (a is bool ab) a = ab ? 1L : 0L;
        if (b is bool bb) b = bb ? 1L : 0L;
        return (a, b) switch
        {
            (long x, long y) => x == y,
            (long or double, long or double) => ToDouble(a) == ToDouble(b),
            (string x, string y) => x == y,
            (string x, long or double) => JsToNumber(x) == ToDouble(b),
            (long or double, string y) => ToDouble(a) == JsToNumber(y),
            _ => ReferenceEquals(a, b),
        };
    }

    /// <summary>Identity as JavaScript's <c>===</c> on the underlying values (used by <c>in</c>, unique, equalto).</summary>
    public static bool StrictEquals(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (JinjaUndefined, JinjaUndefined) => true,
        (long x, long y) => x == y,
        (long or double, long or double) => ToDouble(a) == ToDouble(b),
        (string x, string y) => x == y,
        (bool x, bool y) => x == y,
        _ => a is not null && ReferenceEquals(a, b),
    };

    public static double ToDouble(object? number) => number switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => double.NaN,
    };

    private static double JsToNumber(string s)
    {
        string t = JinjaLexer.JsTrim(s);
        if (t.Length == 0) return 0;
        return double.TryParse(t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double d)
            ? d : double.NaN;
    }

    /// <summary>Converts a caller's value (.NET primitives, collections, dictionaries, JSON nodes, chat messages) to a template value.</summary>
    public static object? FromClr(object? value) => value switch
    {
        null => null,
        JinjaUndefined or JinjaFunction or JinjaNamespace => value,
        string s => s,
        bool b => b,
        int or long or short or sbyte or byte or ushort or uint => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture),
        ulong u => u <= long.MaxValue ? (long)u : (object)(double)u,
        float f => (double)f,
        double d => d,
        decimal m => (double)m,
        ChatMessage m => FromMessage(m),
        JsonNode node => FromJson(node),
        JsonElement element => FromJson(JsonNode.Parse(element.GetRawText())),
        IDictionary<string, object?> d => FromPairs(d),
        IReadOnlyDictionary<string, object?> d => FromPairs(d),
        IDictionary d => FromPairs(d.Keys.Cast<object>().Select(k => new KeyValuePair<string, object?>(k.ToString()!, d[k]))),
        IEnumerable e => e.Cast<object?>().Select(FromClr).ToList(),
        _ => throw new ArgumentException($"chat template: a variable of type {value.GetType().Name} cannot be passed to a template"),
    };

    private static JinjaDict FromMessage(ChatMessage m)
    {
        var dict = new JinjaDict { ["role"] = m.Role, ["content"] = m.Content };
        if (m.ToolCalls is { Count: > 0 } calls) dict["tool_calls"] = calls.Select(FromToolCall).ToList();
        if (m.ToolCallId is not null) dict["tool_call_id"] = m.ToolCallId;
        if (m.Name is not null) dict["name"] = m.Name;
        return dict;
    }

    private static object? FromToolCall(ChatToolCall call)
    {
        object? arguments = call.Arguments;
        try
        {
            if (JsonNode.Parse(call.Arguments) is JsonObject parsed) arguments = FromJson(parsed);
        }
        catch (JsonException)
        {
            // Not JSON: the template sees the text as given.
        }
        var function = new JinjaDict { ["name"] = call.Name, ["arguments"] = arguments };
        return new JinjaDict { ["id"] = call.Id, ["type"] = "function", ["function"] = function };
    }

    private static JinjaDict FromPairs(IEnumerable<KeyValuePair<string, object?>> pairs)
    {
        var dict = new JinjaDict();
        foreach (var (key, v) in pairs) dict[key] = FromClr(v);
        return dict;
    }

    /// <summary>JSON as JavaScript's JSON.parse sees it: integral numbers become integers, as @huggingface/jinja does.</summary>
    public static object? FromJson(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject o:
            {
                var dict = new JinjaDict();
                foreach (var (key, v) in o) dict[key] = FromJson(v);
                return dict;
            }
            case JsonArray a:
                return a.Select(FromJson).ToList();
            default:
                switch (node.GetValueKind())
                {
                    case JsonValueKind.String: return node.GetValue<string>();
                    case JsonValueKind.True: return true;
                    case JsonValueKind.False: return false;
                    case JsonValueKind.Number:
                    {
                        string text = node.ToJsonString();
                        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l)) return l;
                        double d = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
                        return double.IsInteger(d) && Math.Abs(d) < 9.2e18 ? (long)d : (object)d;
                    }
                    default: return null;
                }
        }
    }
}

/// <summary>Jinja's undefined: renders as nothing, is false, and its attributes are undefined too.</summary>
internal sealed class JinjaUndefined
{
    public static readonly JinjaUndefined Instance = new();

    private JinjaUndefined() { }

    public override string ToString() => "";
}

/// <summary>A tuple: a list that <c>( , )</c> built.</summary>
internal sealed class JinjaTuple : List<object?>
{
    public JinjaTuple(IEnumerable<object?> items) : base(items) { }
}

/// <summary>A dict with keys in insertion order, as JSON objects and Python dicts keep them.</summary>
internal class JinjaDict : OrderedDictionary<string, object?>
{
}

/// <summary>The object <c>namespace(...)</c> returns: attributes assignable from inner scopes.</summary>
internal sealed class JinjaNamespace
{
    public JinjaDict Values { get; } = new();
}

/// <summary>A callable value: globals, string and dict methods, macros, <c>caller</c>.</summary>
internal sealed class JinjaFunction(string name, Func<List<object?>, JinjaDict, JinjaScope, object?> invoke)
{
    public string Name { get; } = name;

    public object? Invoke(List<object?> arguments, JinjaDict keywords, JinjaScope scope) => invoke(arguments, keywords, scope);
}

/// <summary>A runtime failure inside the interpreter; the interpreter adds the template line and turns it into a ChatTemplateException.</summary>
internal sealed class JinjaRuntimeException(string message) : Exception(message);
