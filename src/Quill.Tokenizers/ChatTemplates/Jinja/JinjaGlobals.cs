// The names every template sees: true/false/none (and title case), range, namespace, raise_exception, strftime_now;
// not the caller's variables.
using System.Globalization;
using System.Text.RegularExpressions;

namespace Quill.Tokenizers.ChatTemplates.Jinja;

internal static partial class JinjaGlobals
{
    /// <summary>A fresh global scope; <paramref name="now"/> gives the local time strftime_now formats.</summary>
    public static JinjaScope Create(Func<DateTime> now)
    {
        var scope = new JinjaScope(null);
        scope.Set("true", true);
        scope.Set("false", false);
        scope.Set("none", null);
        scope.Set("True", true);
        scope.Set("False", false);
        scope.Set("None", null);
        scope.Set("raise_exception", new JinjaFunction("raise_exception", (args, _, _) =>
            throw new ChatTemplateException(args.Count > 0 ? JinjaText.Concatenated(args[0]) : "raise_exception() called", raisedByTemplate: true)));
        scope.Set("range", new JinjaFunction("range", (args, _, _) => Range(args)));
        scope.Set("namespace", new JinjaFunction("namespace", (args, kwargs, _) => Namespace(args, kwargs)));
        scope.Set("strftime_now", new JinjaFunction("strftime_now", (args, _, _) =>
            args.Count > 0 && args[0] is string format ? Strftime(now(), format) : throw new JinjaRuntimeException("strftime_now needs a format string")));
        return scope;
    }

    private static List<object?> Range(List<object?> args)
    {
        if (args.Count is 0 or > 3 || args.Any(a => a is not long)) throw new JinjaRuntimeException("range() needs one to three integers");
        long start = args.Count == 1 ? 0 : (long)args[0]!;
        long stop = args.Count == 1 ? (long)args[0]! : (long)args[1]!;
        long step = args.Count == 3 ? (long)args[2]! : 1;
        if (step == 0) throw new JinjaRuntimeException("range() step must not be zero");
        var result = new List<object?>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            if (result.Count >= 1_000_000) throw new JinjaRuntimeException("range() is longer than 1000000 items");
            result.Add(i);
        }
        return result;
    }

    private static JinjaNamespace Namespace(List<object?> args, JinjaDict kwargs)
    {
        var ns = new JinjaNamespace();
        if (args.Count > 1) throw new JinjaRuntimeException($"namespace() takes at most one positional argument, found {args.Count}");
        if (args.Count == 1)
        {
            switch (args[0])
            {
                case JinjaDict dict:
                    foreach (var (k, v) in dict) ns.Values[k] = v;
                    break;
                case List<object?> pairs:
                    foreach (object? pair in pairs)
                    {
                        if (pair is not List<object?> { Count: 2 } kv || kv[0] is not string key)
                            throw new JinjaRuntimeException("namespace() needs [key, value] pairs");
                        ns.Values[key] = kv[1];
                    }
                    break;
                default:
                    throw new JinjaRuntimeException($"namespace() cannot take a {JinjaValue.TypeName(args[0])}");
            }
        }
        foreach (var (k, v) in kwargs) ns.Values[k] = v;
        return ns;
    }

    /// <summary>The strftime subset @huggingface/jinja knows (%Y %m %d %b %B %H %M %%) plus %y %e %S %A %a %j and %-d.</summary>
    public static string Strftime(DateTime t, string format) => StrftimeCode().Replace(format, m => m.Value switch
    {
        "%Y" => t.Year.ToString(CultureInfo.InvariantCulture),
        "%y" => t.ToString("yy", CultureInfo.InvariantCulture),
        "%m" => t.ToString("MM", CultureInfo.InvariantCulture),
        "%d" => t.ToString("dd", CultureInfo.InvariantCulture),
        "%-d" => t.Day.ToString(CultureInfo.InvariantCulture),
        "%-m" => t.Month.ToString(CultureInfo.InvariantCulture),
        "%e" => t.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2),
        "%b" => t.ToString("MMM", CultureInfo.InvariantCulture),
        "%B" => t.ToString("MMMM", CultureInfo.InvariantCulture),
        "%a" => t.ToString("ddd", CultureInfo.InvariantCulture),
        "%A" => t.ToString("dddd", CultureInfo.InvariantCulture),
        "%H" => t.ToString("HH", CultureInfo.InvariantCulture),
        "%M" => t.ToString("mm", CultureInfo.InvariantCulture),
        "%S" => t.ToString("ss", CultureInfo.InvariantCulture),
        "%j" => t.DayOfYear.ToString("D3", CultureInfo.InvariantCulture),
        "%%" => "%",
        _ => m.Value,
    });

    [GeneratedRegex("%-?[a-zA-Z%]")]
    private static partial Regex StrftimeCode();
}
