// A variable scope: names set here shadow the parent's; loops, macros and call blocks open a new one, if blocks do not.
namespace Quill.Tokenizers.ChatTemplates.Jinja;

internal sealed class JinjaScope(JinjaScope? parent)
{
    private readonly Dictionary<string, object?> _variables = new(StringComparer.Ordinal);

    public void Set(string name, object? value) => _variables[name] = value;

    /// <summary>The value of <paramref name="name"/> here or in an enclosing scope, else undefined.</summary>
    public object? Lookup(string name)
    {
        for (JinjaScope? scope = this; scope is not null; scope = scope.Parent)
        {
            if (scope._variables.TryGetValue(name, out object? value)) return value;
        }
        return JinjaValue.Undefined;
    }

    public JinjaScope? Parent { get; } = parent;
}
