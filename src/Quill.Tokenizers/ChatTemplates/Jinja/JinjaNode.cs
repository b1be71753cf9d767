// The syntax tree of the Jinja subset: statements and expressions, each with its template line; no evaluation here.
namespace Quill.Tokenizers.ChatTemplates.Jinja;

internal abstract record JinjaNode(int Line);

// ---- statements ----

internal sealed record TextNode(string Text, int Line) : JinjaNode(Line);

internal sealed record OutputNode(JinjaExpression Value, int Line) : JinjaNode(Line);

internal sealed record IfNode(JinjaExpression Test, List<JinjaNode> Body, List<JinjaNode> Else, int Line) : JinjaNode(Line);

/// <summary><c>{% for Target in Iterable [if Filter] %}Body{% else %}Else{% endfor %}</c>.</summary>
internal sealed record ForNode(JinjaExpression Target, JinjaExpression Iterable, JinjaExpression? Filter,
    List<JinjaNode> Body, List<JinjaNode> Else, int Line) : JinjaNode(Line);

/// <summary><c>{% set Target = Value %}</c>, or the block form with <see cref="Body"/> when Value is null.</summary>
internal sealed record SetNode(JinjaExpression Target, JinjaExpression? Value, List<JinjaNode> Body, int Line) : JinjaNode(Line);

internal sealed record MacroNode(string Name, List<JinjaParameter> Parameters, List<JinjaNode> Body, int Line) : JinjaNode(Line);

/// <summary><c>{% call(CallerParameters) Call %}Body{% endcall %}</c>: Body becomes <c>caller()</c> inside the macro.</summary>
internal sealed record CallBlockNode(CallExpression Call, List<JinjaParameter> CallerParameters, List<JinjaNode> Body, int Line)
    : JinjaNode(Line);

internal sealed record FilterBlockNode(FilterExpression Filter, List<JinjaNode> Body, int Line) : JinjaNode(Line);

internal sealed record BreakNode(int Line) : JinjaNode(Line);

internal sealed record ContinueNode(int Line) : JinjaNode(Line);

internal sealed record JinjaParameter(string Name, JinjaExpression? Default);

// ---- expressions ----

internal abstract record JinjaExpression(int Line) : JinjaNode(Line);

/// <summary>A string, integer (long) or float (double) literal.</summary>
internal sealed record LiteralExpression(object Value, int Line) : JinjaExpression(Line);

internal sealed record NameExpression(string Name, int Line) : JinjaExpression(Line);

internal sealed record ListExpression(List<JinjaExpression> Items, int Line) : JinjaExpression(Line);

internal sealed record TupleExpression(List<JinjaExpression> Items, int Line) : JinjaExpression(Line);

internal sealed record DictExpression(List<(JinjaExpression Key, JinjaExpression Value)> Items, int Line) : JinjaExpression(Line);

/// <summary><c>Target.Name</c> (Computed false, Key a literal) or <c>Target[Key]</c>.</summary>
internal sealed record MemberExpression(JinjaExpression Target, JinjaExpression Key, bool Computed, int Line) : JinjaExpression(Line);

internal sealed record SliceExpression(JinjaExpression Target, JinjaExpression? Start, JinjaExpression? Stop, JinjaExpression? Step, int Line)
    : JinjaExpression(Line);

internal sealed record JinjaArgument(string? Name, JinjaExpression Value);

internal sealed record CallExpression(JinjaExpression Callee, List<JinjaArgument> Arguments, int Line) : JinjaExpression(Line);

internal sealed record BinaryExpression(string Operator, JinjaExpression Left, JinjaExpression Right, int Line) : JinjaExpression(Line);

/// <summary>"not", "-" or "+".</summary>
internal sealed record UnaryExpression(string Operator, JinjaExpression Operand, int Line) : JinjaExpression(Line);

/// <summary><c>Operand | Name(Arguments)</c>; Arguments is empty without parentheses.</summary>
internal sealed record FilterExpression(JinjaExpression? Operand, string Name, List<JinjaArgument> Arguments, int Line) : JinjaExpression(Line);

internal sealed record TestExpression(JinjaExpression Operand, bool Negated, string Name, List<JinjaArgument> Arguments, int Line)
    : JinjaExpression(Line);

/// <summary><c>Value if Test</c> with no else: undefined when the test fails.</summary>
internal sealed record SelectExpression(JinjaExpression Value, JinjaExpression Test, int Line) : JinjaExpression(Line);

internal sealed record TernaryExpression(JinjaExpression Test, JinjaExpression IfTrue, JinjaExpression IfFalse, int Line) : JinjaExpression(Line);
