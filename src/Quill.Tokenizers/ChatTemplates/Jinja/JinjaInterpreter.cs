// Renders a parsed template: statements into text, expressions into values, with Jinja's scoping (loops and macros open scopes, namespaces carry values out).
using System.Text;

namespace Quill.Tokenizers.ChatTemplates.Jinja;

internal sealed class JinjaInterpreter(string errorPrefix)
{
    private enum Flow { Normal, Break, Continue }

    private const int MaxDepth = 200;
    private int _depth;

    public string Render(List<JinjaNode> program, JinjaScope globals)
    {
        var output = new StringBuilder();
        RenderBlock(program, globals, output);
        return output.ToString();
    }

    private Flow RenderBlock(List<JinjaNode> nodes, JinjaScope scope, StringBuilder output)
    {
        foreach (JinjaNode node in nodes)
        {
            Flow flow = RenderNode(node, scope, output);
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    private string RenderToString(List<JinjaNode> nodes, JinjaScope scope)
    {
        var output = new StringBuilder();
        RenderBlock(nodes, scope, output);
        return output.ToString();
    }

    private Flow RenderNode(JinjaNode node, JinjaScope scope, StringBuilder output)
    {
        switch (node)
        {
            case TextNode text:
                output.Append(text.Text);
                return Flow.Normal;
            case OutputNode o:
                output.Append(JinjaText.Output(Evaluate(o.Value, scope)));
                return Flow.Normal;
            case IfNode i:
                return RenderBlock(JinjaValue.Truthy(Evaluate(i.Test, scope)) ? i.Body : i.Else, scope, output);
            case ForNode f:
                RenderFor(f, scope, output);
                return Flow.Normal;
            case SetNode s:
                Assign(s, s.Target, s.Value is null ? RenderToString(s.Body, scope) : Evaluate(s.Value, scope), scope);
                return Flow.Normal;
            case MacroNode m:
                scope.Set(m.Name, new JinjaFunction(m.Name, (args, kwargs, callScope) =>
                {
                    var macroScope = new JinjaScope(callScope);
                    Bind(m.Parameters, args, kwargs, macroScope);
                    return RenderNested(m.Body, macroScope, m.Line);
                }));
                return Flow.Normal;
            case CallBlockNode c:
                output.Append(JinjaText.Output(CallBlock(c, scope)));
                return Flow.Normal;
            case FilterBlockNode f:
            {
                string body = RenderToString(f.Body, scope);
                output.Append(JinjaText.Output(Evaluate(f.Filter with { Operand = new LiteralExpression(body, f.Line) }, scope)));
                return Flow.Normal;
            }
            case BreakNode:
                return Flow.Break;
            case ContinueNode:
                return Flow.Continue;
            default:
                throw Fail($"unsupported node {node.GetType().Name}", node.Line);
        }
    }

    private string RenderNested(List<JinjaNode> body, JinjaScope scope, int line)
    {
        if (++_depth > MaxDepth) throw Fail($"macro calls nest deeper than {MaxDepth}", line);
        try
        {
            return RenderToString(body, scope);
        }
        finally
        {
            _depth--;
        }
    }

    private void RenderFor(ForNode f, JinjaScope outer, StringBuilder output)
    {
        var scope = new JinjaScope(outer);
        object? iterable = Evaluate(f.Iterable, scope);
        List<object?> source = iterable switch
        {
            List<object?> list => list,
            JinjaDict dict => [.. dict.Keys],
            string s => [.. s.Select(c => (object?)c.ToString())],
            JinjaUndefined => [],
            _ => throw Fail($"'for' needs a list or dict, found a {JinjaValue.TypeName(iterable)}", f.Line),
        };
        var items = new List<object?>(source.Count);
        foreach (object? item in source)
        {
            if (f.Filter is not null)
            {
                var testScope = new JinjaScope(scope);
                Assign(f, f.Target, item, testScope);
                if (!JinjaValue.Truthy(Evaluate(f.Filter, testScope))) continue;
            }
            items.Add(item);
        }
        if (items.Count == 0)
        {
            RenderBlock(f.Else, scope, output);
            return;
        }
        for (int i = 0; i < items.Count; i++)
        {
            var loop = new JinjaDict
            {
                ["index"] = (long)(i + 1),
                ["index0"] = (long)i,
                ["revindex"] = (long)(items.Count - i),
                ["revindex0"] = (long)(items.Count - i - 1),
                ["first"] = i == 0,
                ["last"] = i == items.Count - 1,
                ["length"] = (long)items.Count,
                ["previtem"] = i > 0 ? items[i - 1] : JinjaValue.Undefined,
                ["nextitem"] = i < items.Count - 1 ? items[i + 1] : JinjaValue.Undefined,
            };
            int index = i;
            loop["cycle"] = new JinjaFunction("cycle", (args, _, _) => args.Count == 0 ? JinjaValue.Undefined : args[index % args.Count]);
            scope.Set("loop", loop);
            Assign(f, f.Target, items[i], scope);
            if (RenderBlock(f.Body, scope, output) == Flow.Break) break;
        }
    }

    private void Assign(JinjaNode statement, JinjaExpression target, object? value, JinjaScope scope)
    {
        switch (target)
        {
            case NameExpression name:
                scope.Set(name.Name, value);
                break;
            case TupleExpression tuple:
            {
                if (value is not List<object?> values)
                    throw Fail($"cannot unpack a {JinjaValue.TypeName(value)} into {tuple.Items.Count} names", statement.Line);
                if (values.Count != tuple.Items.Count)
                {
                    throw Fail($"too {(values.Count < tuple.Items.Count ? "few" : "many")} values to unpack (expected {tuple.Items.Count}, found " +
                        $"{values.Count})", statement.Line);
                }
                for (int i = 0; i < values.Count; i++)
                {
                    if (tuple.Items[i] is not NameExpression n) throw Fail("can only unpack into names", statement.Line);
                    scope.Set(n.Name, values[i]);
                }
                break;
            }
            case MemberExpression { Computed: false, Key: LiteralExpression { Value: string attribute } } member:
            {
                object? owner = Evaluate(member.Target, scope);
                if (owner is not JinjaNamespace ns)
                    throw Fail($"cannot set an attribute on a {JinjaValue.TypeName(owner)}; only on a namespace()", statement.Line);
                ns.Values[attribute] = value;
                break;
            }
            default:
                throw Fail("unsupported assignment target", statement.Line);
        }
    }

    private void Bind(List<JinjaParameter> parameters, List<object?> args, JinjaDict kwargs, JinjaScope scope)
    {
        var remaining = new JinjaDict();
        foreach (var (k, v) in kwargs) remaining[k] = v;
        var pending = new List<JinjaParameter>();
        for (int i = 0; i < parameters.Count; i++)
        {
            JinjaParameter p = parameters[i];
            object? value = JinjaValue.Undefined;
            if (i < args.Count) value = args[i];
            else if (remaining.Remove(p.Name, out object? keyword)) value = keyword;
            else if (p.Default is not null) pending.Add(p);
            scope.Set(p.Name, value);
        }
        scope.Set("varargs", args.Count > parameters.Count ? args.GetRange(parameters.Count, args.Count - parameters.Count) : new List<object?>());
        scope.Set("kwargs", remaining);
        foreach (JinjaParameter p in pending) scope.Set(p.Name, Evaluate(p.Default!, scope));
    }

    private object? CallBlock(CallBlockNode c, JinjaScope scope)
    {
        var caller = new JinjaFunction("caller", (args, kwargs, _) =>
        {
            var callScope = new JinjaScope(scope);
            Bind(c.CallerParameters, args, kwargs, callScope);
            return RenderNested(c.Body, callScope, c.Line);
        });
        (List<object?> args, JinjaDict kwargs) = EvaluateArguments(c.Call.Arguments, scope);
        object? callee = Evaluate(c.Call.Callee, scope);
        if (callee is not JinjaFunction function) throw Fail($"'call' needs a macro, found a {JinjaValue.TypeName(callee)}", c.Line);
        var withCaller = new JinjaScope(scope);
        withCaller.Set("caller", caller);
        return Invoke(function, args, kwargs, withCaller, c.Line);
    }

    private object? Invoke(JinjaFunction function, List<object?> args, JinjaDict kwargs, JinjaScope scope, int line)
    {
        try
        {
            return function.Invoke(args, kwargs, scope);
        }
        catch (JinjaRuntimeException e)
        {
            throw Fail(e.Message, line);
        }
    }

    private (List<object?> Args, JinjaDict Kwargs) EvaluateArguments(List<JinjaArgument> arguments, JinjaScope scope)
    {
        var args = new List<object?>();
        var kwargs = new JinjaDict();
        foreach (JinjaArgument a in arguments)
        {
            if (a.Name is null) args.Add(Evaluate(a.Value, scope));
        }
        foreach (JinjaArgument a in arguments)
        {
            if (a.Name is not null && !kwargs.TryAdd(a.Name, Evaluate(a.Value, scope))) throw Fail($"keyword argument '{a.Name}' given twice", a.Value.Line);
        }
        return (args, kwargs);
    }

    public object? Evaluate(JinjaExpression expression, JinjaScope scope)
    {
        try
        {
            return EvaluateCore(expression, scope);
        }
        catch (JinjaRuntimeException e)
        {
            throw Fail(e.Message, expression.Line);
        }
    }

    private object? EvaluateCore(JinjaExpression expression, JinjaScope scope)
    {
        switch (expression)
        {
            case LiteralExpression literal:
                return literal.Value;
            case NameExpression name:
                return scope.Lookup(name.Name);
            case ListExpression list:
                return list.Items.Select(item => Evaluate(item, scope)).ToList();
            case TupleExpression tuple:
                return new JinjaTuple(tuple.Items.Select(item => Evaluate(item, scope)));
            case DictExpression dict:
            {
                var result = new JinjaDict();
                foreach ((JinjaExpression key, JinjaExpression value) in dict.Items)
                {
                    object? k = Evaluate(key, scope);
                    if (k is not string s) throw new JinjaRuntimeException($"dict keys must be strings, found a {JinjaValue.TypeName(k)}");
                    result[s] = Evaluate(value, scope);
                }
                return result;
            }
            case MemberExpression member:
                return JinjaMembers.Get(Evaluate(member.Target, scope), Evaluate(member.Key, scope));
            case SliceExpression slice:
                return Slice(Evaluate(slice.Target, scope), Optional(slice.Start, scope), Optional(slice.Stop, scope), Optional(slice.Step, scope));
            case CallExpression call:
            {
                (List<object?> args, JinjaDict kwargs) = EvaluateArguments(call.Arguments, scope);
                object? callee = Evaluate(call.Callee, scope);
                if (callee is JinjaFunction function) return Invoke(function, args, kwargs, scope, call.Line);
                throw new JinjaRuntimeException(call.Callee switch
                {
                    NameExpression n when callee is JinjaUndefined => $"unknown function '{n.Name}'",
                    MemberExpression { Computed: false, Key: LiteralExpression { Value: string m } } when callee is JinjaUndefined
                        => $"unsupported method '{m}'",
                    _ => $"cannot call a {JinjaValue.TypeName(callee)}",
                });
            }
            case BinaryExpression { Operator: "and" } and:
            {
                object? left = Evaluate(and.Left, scope);
                return JinjaValue.Truthy(left) ? Evaluate(and.Right, scope) : left;
            }
            case BinaryExpression { Operator: "or" } or:
            {
                object? left = Evaluate(or.Left, scope);
                return JinjaValue.Truthy(left) ? left : Evaluate(or.Right, scope);
            }
            case BinaryExpression binary:
                return JinjaOperators.Binary(binary.Operator, Evaluate(binary.Left, scope), Evaluate(binary.Right, scope));
            case UnaryExpression unary:
                return JinjaOperators.Unary(unary.Operator, Evaluate(unary.Operand, scope));
            case FilterExpression filter:
            {
                object? operand = Evaluate(filter.Operand!, scope);
                (List<object?> args, JinjaDict kwargs) = EvaluateArguments(filter.Arguments, scope);
                return JinjaFilters.Apply(filter.Name, operand, args, kwargs);
            }
            case TestExpression test:
            {
                object? operand = Evaluate(test.Operand, scope);
                (List<object?> args, _) = EvaluateArguments(test.Arguments, scope);
                bool result = JinjaTests.Run(test.Name, operand, args.Count > 0 ? args[0] : JinjaValue.Undefined);
                return test.Negated ? !result : result;
            }
            case SelectExpression select:
                return JinjaValue.Truthy(Evaluate(select.Test, scope)) ? Evaluate(select.Value, scope) : JinjaValue.Undefined;
            case TernaryExpression ternary:
                return Evaluate(JinjaValue.Truthy(Evaluate(ternary.Test, scope)) ? ternary.IfTrue : ternary.IfFalse, scope);
            default:
                throw new JinjaRuntimeException($"unsupported expression {expression.GetType().Name}");
        }
    }

    private object? Optional(JinjaExpression? expression, JinjaScope scope) => expression is null ? null : Evaluate(expression, scope);

    private static object? Slice(object? target, object? start, object? stop, object? step)
    {
        long? Index(object? v, string what) => v switch
        {
            null or JinjaUndefined => null,
            long l => l,
            _ => throw new JinjaRuntimeException($"slice {what} must be an integer, found a {JinjaValue.TypeName(v)}"),
        };
        long? a = Index(start, "start"), b = Index(stop, "stop"), s = Index(step, "step");
        if (s == 0) throw new JinjaRuntimeException("slice step cannot be zero");
        switch (target)
        {
            case List<object?> list:
                return SliceIndexes(list.Count, a, b, s ?? 1).Select(i => list[i]).ToList();
            case string text:
            {
                var points = new List<string>();
                for (int i = 0; i < text.Length; i += char.IsSurrogatePair(text, i) ? 2 : 1)
                    points.Add(text.Substring(i, char.IsSurrogatePair(text, i) ? 2 : 1));
                return string.Concat(SliceIndexes(points.Count, a, b, s ?? 1).Select(i => points[i]));
            }
            default:
                throw new JinjaRuntimeException($"cannot slice a {JinjaValue.TypeName(target)}");
        }
    }

    /// <summary>Python's slice indexes for a sequence of <paramref name="count"/> items.</summary>
    public static IEnumerable<int> SliceIndexes(int count, long? start, long? stop, long step)
    {
        long first, end;
        if (step > 0)
        {
            first = start is long a ? (a < 0 ? Math.Max(count + a, 0) : Math.Min(a, count)) : 0;
            end = stop is long b ? (b < 0 ? Math.Max(count + b, 0) : Math.Min(b, count)) : count;
            for (long i = first; i < end; i += step) yield return (int)i;
        }
        else
        {
            first = start is long a ? (a < 0 ? Math.Max(count + a, -1) : Math.Min(a, count - 1)) : count - 1;
            end = stop is long b ? (b < 0 ? Math.Max(count + b, -1) : Math.Min(b, count - 1)) : -1;
            for (long i = first; i > end; i += step) yield return (int)i;
        }
    }

    private ChatTemplateException Fail(string what, int line) => new($"{errorPrefix}: {what} at line {line}");
}
