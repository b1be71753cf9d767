// The `is` tests (defined, none, string, mapping, equalto, ...) with @huggingface/jinja's type rules.
namespace Quill.Tokenizers.ChatTemplates.Jinja;

internal static class JinjaTests
{
    private static readonly Dictionary<string, Func<object?, object?, bool>> Tests = new(StringComparer.Ordinal)
    {
        ["boolean"] = (v, _) => v is bool,
        ["callable"] = (v, _) => v is JinjaFunction,
        ["odd"] = (v, _) => v is long l ? l % 2 != 0 : throw NotInteger("odd", v),
        ["even"] = (v, _) => v is long l ? l % 2 == 0 : throw NotInteger("even", v),
        ["false"] = (v, _) => v is false,
        ["true"] = (v, _) => v is true,
        ["none"] = (v, _) => v is null,
        ["string"] = (v, _) => v is string,
        ["number"] = (v, _) => v is long or double,
        ["integer"] = (v, _) => v is long,
        ["float"] = (v, _) => v is double,
        ["iterable"] = (v, _) => v is List<object?> or string,
        ["mapping"] = (v, _) => v is JinjaDict,
        ["sequence"] = (v, _) => v is List<object?> or JinjaDict or string,
        ["lower"] = (v, _) => v is string s && s == s.ToLowerInvariant(),
        ["upper"] = (v, _) => v is string s && s == s.ToUpperInvariant(),
        ["defined"] = (v, _) => v is not JinjaUndefined,
        ["undefined"] = (v, _) => v is JinjaUndefined,
        ["equalto"] = JinjaValue.StrictEquals,
        ["eq"] = JinjaValue.StrictEquals,
        ["sameas"] = JinjaValue.StrictEquals,
    };

    public static bool IsKnown(string name) => Tests.ContainsKey(name);

    /// <summary>Runs test <paramref name="name"/> on <paramref name="value"/> (<paramref name="argument"/> for equalto; undefined when absent).</summary>
    public static bool Run(string name, object? value, object? argument) =>
        Tests.TryGetValue(name, out var test) ? test(value, argument) : throw new JinjaRuntimeException($"unsupported test '{name}'");

    private static JinjaRuntimeException NotInteger(string test, object? v) => new($"test '{test}' needs an integer, found a {JinjaValue.TypeName(v)}");
}
