// Builds the syntax tree from tokens with @huggingface/jinja's grammar and precedence, rejecting unsupported statements, filters and tests up front.
using System.Globalization;

namespace Quill.Tokenizers.ChatTemplates.Jinja;

/// <summary>Parses a token list into statements. Every error names the construct and the template line.</summary>
internal sealed class JinjaParser
{
    private readonly List<JinjaToken> _tokens;
    private readonly string _prefix;
    private int _current;

    private JinjaParser(List<JinjaToken> tokens, string errorPrefix) => (_tokens, _prefix) = (tokens, errorPrefix);

    public static List<JinjaNode> Parse(List<JinjaToken> tokens, string errorPrefix)
    {
        var parser = new JinjaParser(tokens, errorPrefix);
        var program = new List<JinjaNode>();
        while (parser._current < tokens.Count)
        {
            if (parser.ParseAny() is JinjaNode node) program.Add(node);
        }
        return program;
    }

    private JinjaToken Peek => _current < _tokens.Count ? _tokens[_current] : throw EndOfTemplate();

    private int LastLine => _tokens.Count == 0 ? 1 : _tokens[Math.Min(_current, _tokens.Count - 1)].Line;

    private bool Is(JinjaTokenKind kind) => _current < _tokens.Count && _tokens[_current].Kind == kind;

    private bool IsIdentifier(string name) => _current < _tokens.Count && _tokens[_current].IsIdentifier(name);

    private bool IsStatement(params ReadOnlySpan<string> names)
    {
        if (_current + 1 >= _tokens.Count || _tokens[_current].Kind != JinjaTokenKind.OpenStatement) return false;
        JinjaToken name = _tokens[_current + 1];
        if (name.Kind != JinjaTokenKind.Identifier) return false;
        foreach (string n in names) if (name.Value == n) return true;
        return false;
    }

    private JinjaToken Expect(JinjaTokenKind kind, string what)
    {
        if (_current >= _tokens.Count) throw Fail($"expected {what}, found the end of the template", LastLine);
        JinjaToken token = _tokens[_current];
        if (token.Kind != kind) throw Fail($"expected {what}, found {token}", token.Line);
        _current++;
        return token;
    }

    private void ExpectIdentifier(string name)
    {
        if (!IsIdentifier(name)) throw Fail($"expected '{name}', found {(_current < _tokens.Count ? Peek.ToString() : "the end of the template")}", LastLine);
        _current++;
    }

    private JinjaNode? ParseAny()
    {
        JinjaToken token = Peek;
        switch (token.Kind)
        {
            case JinjaTokenKind.Comment:
                _current++;
                return null;
            case JinjaTokenKind.Text:
                _current++;
                return new TextNode(token.Value, token.Line);
            case JinjaTokenKind.OpenStatement:
                return ParseStatement();
            case JinjaTokenKind.OpenExpression:
                _current++;
                JinjaExpression value = ParseExpression();
                Expect(JinjaTokenKind.CloseExpression, "'}}'");
                return new OutputNode(value, token.Line);
            default:
                throw Fail($"unexpected {token}", token.Line);
        }
    }

    // Parses statements until one of the closing statements; an unclosed block names itself and its opening line.
    private List<JinjaNode> ParseBody(string block, int openedAt, params string[] closers)
    {
        var body = new List<JinjaNode>();
        while (!IsStatement(closers))
        {
            if (_current >= _tokens.Count) throw Fail($"unclosed '{block}' block opened at line {openedAt}, expected {{% {closers[^1]} %}}", openedAt);
            if (ParseAny() is JinjaNode node) body.Add(node);
        }
        return body;
    }

    private void ExpectEnd(string name)
    {
        Expect(JinjaTokenKind.OpenStatement, "'{%'");
        ExpectIdentifier(name);
        Expect(JinjaTokenKind.CloseStatement, "'%}'");
    }

    private JinjaNode ParseStatement()
    {
        Expect(JinjaTokenKind.OpenStatement, "'{%'");
        JinjaToken name = Peek;
        if (name.Kind != JinjaTokenKind.Identifier) throw Fail($"expected a statement name, found {name}", name.Line);
        _current++;
        int line = name.Line;
        switch (name.Value)
        {
            case "set":
                return ParseSet(line);
            case "if":
            {
                IfNode result = ParseIf(line);
                ExpectEnd("endif");
                return result;
            }
            case "for":
            {
                ForNode result = ParseFor(line);
                ExpectEnd("endfor");
                return result;
            }
            case "macro":
            {
                JinjaToken macroName = Expect(JinjaTokenKind.Identifier, "a macro name");
                List<JinjaParameter> parameters = ParseParameters();
                Expect(JinjaTokenKind.CloseStatement, "'%}'");
                List<JinjaNode> body = ParseBody("macro", line, "endmacro");
                ExpectEnd("endmacro");
                return new MacroNode(macroName.Value, parameters, body, line);
            }
            case "call":
            {
                List<JinjaParameter> callerParameters = Is(JinjaTokenKind.OpenParen) ? ParseParameters() : [];
                JinjaToken callee = Expect(JinjaTokenKind.Identifier, "a macro name after 'call'");
                var call = new CallExpression(new NameExpression(callee.Value, callee.Line), ParseArguments(), callee.Line);
                Expect(JinjaTokenKind.CloseStatement, "'%}'");
                List<JinjaNode> body = ParseBody("call", line, "endcall");
                ExpectEnd("endcall");
                return new CallBlockNode(call, callerParameters, body, line);
            }
            case "filter":
            {
                FilterExpression filter = ParseFilterName(null);
                Expect(JinjaTokenKind.CloseStatement, "'%}'");
                List<JinjaNode> body = ParseBody("filter", line, "endfilter");
                ExpectEnd("endfilter");
                return new FilterBlockNode(filter, body, line);
            }
            case "break":
                Expect(JinjaTokenKind.CloseStatement, "'%}'");
                return new BreakNode(line);
            case "continue":
                Expect(JinjaTokenKind.CloseStatement, "'%}'");
                return new ContinueNode(line);
            case "elif" or "else" or "endif" or "endfor" or "endset" or "endmacro" or "endcall" or "endfilter":
                throw Fail($"unexpected '{{% {name.Value} %}}' without its opening block", line);
            default:
                throw Fail($"unsupported statement '{name.Value}'", line);
        }
    }

    private SetNode ParseSet(int line)
    {
        JinjaExpression target = ParseExpressionSequence(primary: false);
        if (Is(JinjaTokenKind.Equals))
        {
            _current++;
            JinjaExpression value = ParseExpressionSequence(primary: false);
            Expect(JinjaTokenKind.CloseStatement, "'%}'");
            return new SetNode(target, value, [], line);
        }
        Expect(JinjaTokenKind.CloseStatement, "'=' or '%}'");
        List<JinjaNode> body = ParseBody("set", line, "endset");
        ExpectEnd("endset");
        return new SetNode(target, null, body, line);
    }

    private IfNode ParseIf(int line)
    {
        JinjaExpression test = ParseExpression();
        Expect(JinjaTokenKind.CloseStatement, "'%}'");
        List<JinjaNode> body = ParseBody("if", line, "elif", "else", "endif");
        var alternate = new List<JinjaNode>();
        if (IsStatement("elif"))
        {
            int elifLine = _tokens[_current + 1].Line;
            _current += 2;
            alternate.Add(ParseIf(elifLine));
        }
        else if (IsStatement("else"))
        {
            _current += 2;
            Expect(JinjaTokenKind.CloseStatement, "'%}'");
            alternate = ParseBody("if", line, "endif");
        }
        return new IfNode(test, body, alternate, line);
    }

    private ForNode ParseFor(int line)
    {
        JinjaExpression target = ParseExpressionSequence(primary: true);
        if (target is not (NameExpression or TupleExpression)) throw Fail("expected a loop variable or tuple after 'for'", line);
        if (!IsIdentifier("in")) throw Fail("expected 'in' after the loop variable", line);
        _current++;
        JinjaExpression iterable = ParseExpression();
        JinjaExpression? filter = null;
        if (iterable is SelectExpression select) (iterable, filter) = (select.Value, select.Test);
        Expect(JinjaTokenKind.CloseStatement, "'%}'");
        List<JinjaNode> body = ParseBody("for", line, "else", "endfor");
        List<JinjaNode> alternative = [];
        if (IsStatement("else"))
        {
            _current += 2;
            Expect(JinjaTokenKind.CloseStatement, "'%}'");
            alternative = ParseBody("for", line, "endfor");
        }
        return new ForNode(target, iterable, filter, body, alternative, line);
    }

    private JinjaExpression ParseExpressionSequence(bool primary)
    {
        int line = Peek.Line;
        JinjaExpression first = primary ? ParsePrimary() : ParseExpression();
        if (!Is(JinjaTokenKind.Comma)) return first;
        var items = new List<JinjaExpression> { first };
        while (Is(JinjaTokenKind.Comma))
        {
            _current++;
            items.Add(primary ? ParsePrimary() : ParseExpression());
        }
        return new TupleExpression(items, line);
    }

    private JinjaExpression ParseExpression()
    {
        JinjaExpression a = ParseOr();
        if (!IsIdentifier("if")) return a;
        int line = Peek.Line;
        _current++;
        JinjaExpression test = ParseOr();
        if (!IsIdentifier("else")) return new SelectExpression(a, test, line);
        _current++;
        return new TernaryExpression(test, a, ParseExpression(), line);
    }

    private JinjaExpression ParseOr()
    {
        JinjaExpression left = ParseAnd();
        while (IsIdentifier("or"))
        {
            int line = Peek.Line;
            _current++;
            left = new BinaryExpression("or", left, ParseAnd(), line);
        }
        return left;
    }

    private JinjaExpression ParseAnd()
    {
        JinjaExpression left = ParseNot();
        while (IsIdentifier("and"))
        {
            int line = Peek.Line;
            _current++;
            left = new BinaryExpression("and", left, ParseNot(), line);
        }
        return left;
    }

    private JinjaExpression ParseNot()
    {
        if (!IsIdentifier("not")) return ParseComparison();
        int line = Peek.Line;
        _current++;
        return new UnaryExpression("not", ParseNot(), line);
    }

    private JinjaExpression ParseComparison()
    {
        JinjaExpression left = ParseAdditive();
        while (true)
        {
            string op;
            int line = _current < _tokens.Count ? Peek.Line : LastLine;
            if (IsIdentifier("not") && _current + 1 < _tokens.Count && _tokens[_current + 1].IsIdentifier("in"))
            {
                op = "not in";
                _current += 2;
            }
            else if (IsIdentifier("in"))
            {
                op = "in";
                _current++;
            }
            else if (Is(JinjaTokenKind.Comparison))
            {
                op = _tokens[_current++].Value;
            }
            else
            {
                return left;
            }
            left = new BinaryExpression(op, left, ParseAdditive(), line);
        }
    }

    private JinjaExpression ParseAdditive()
    {
        JinjaExpression left = ParseMultiplicative();
        while (Is(JinjaTokenKind.Additive))
        {
            JinjaToken op = _tokens[_current++];
            left = new BinaryExpression(op.Value, left, ParseMultiplicative(), op.Line);
        }
        return left;
    }

    private JinjaExpression ParseMultiplicative()
    {
        JinjaExpression left = ParsePower();
        while (Is(JinjaTokenKind.Multiplicative))
        {
            JinjaToken op = _tokens[_current++];
            left = new BinaryExpression(op.Value, left, ParsePower(), op.Line);
        }
        return left;
    }

    private JinjaExpression ParsePower()
    {
        JinjaExpression left = ParseTest();
        while (Is(JinjaTokenKind.Power))
        {
            JinjaToken op = _tokens[_current++];
            left = new BinaryExpression("**", left, ParseTest(), op.Line);
        }
        return left;
    }

    private JinjaExpression ParseTest()
    {
        JinjaExpression operand = ParseFilter();
        while (IsIdentifier("is"))
        {
            int line = Peek.Line;
            _current++;
            bool negated = IsIdentifier("not");
            if (negated) _current++;
            JinjaToken name = Peek;
            if (name.Kind != JinjaTokenKind.Identifier) throw Fail($"expected a test name after 'is', found {name}", name.Line);
            _current++;
            if (!JinjaTests.IsKnown(name.Value)) throw Fail($"unsupported test '{name.Value}'", name.Line);
            List<JinjaArgument> arguments = Is(JinjaTokenKind.OpenParen) ? ParseArguments() : [];
            operand = new TestExpression(operand, negated, name.Value, arguments, line);
        }
        return operand;
    }

    private JinjaExpression ParseFilter()
    {
        JinjaExpression operand = ParseUnarySign();
        while (Is(JinjaTokenKind.Pipe))
        {
            _current++;
            operand = ParseFilterName(operand);
        }
        return operand;
    }

    private FilterExpression ParseFilterName(JinjaExpression? operand)
    {
        JinjaToken name = Peek;
        if (name.Kind != JinjaTokenKind.Identifier) throw Fail($"expected a filter name, found {name}", name.Line);
        _current++;
        if (!JinjaFilters.IsKnown(name.Value)) throw Fail($"unsupported filter '{name.Value}'", name.Line);
        List<JinjaArgument> arguments = Is(JinjaTokenKind.OpenParen) ? ParseArguments() : [];
        return new FilterExpression(operand, name.Value, arguments, name.Line);
    }

    private JinjaExpression ParseUnarySign()
    {
        if (_current < _tokens.Count && Peek.Kind is JinjaTokenKind.UnarySign or JinjaTokenKind.Additive && Peek.Value is "-" or "+")
        {
            JinjaToken op = _tokens[_current++];
            return new UnaryExpression(op.Value, ParseUnarySign(), op.Line);
        }
        JinjaExpression member = ParseMember(ParsePrimary());
        return Is(JinjaTokenKind.OpenParen) ? ParseCall(member) : member;
    }

    private JinjaExpression ParseCall(JinjaExpression callee)
    {
        JinjaExpression expression = new CallExpression(callee, ParseArguments(), callee.Line);
        expression = ParseMember(expression);
        return Is(JinjaTokenKind.OpenParen) ? ParseCall(expression) : expression;
    }

    private List<JinjaArgument> ParseArguments()
    {
        Expect(JinjaTokenKind.OpenParen, "'('");
        var arguments = new List<JinjaArgument>();
        bool sawKeyword = false;
        while (!Is(JinjaTokenKind.CloseParen))
        {
            JinjaToken start = Peek;
            if (start.Kind is JinjaTokenKind.Multiplicative or JinjaTokenKind.Power && start.Value is "*" or "**")
            {
                throw Fail($"unsupported argument unpacking '{start.Value}'", start.Line);
            }
            JinjaExpression value = ParseExpression();
            if (Is(JinjaTokenKind.Equals))
            {
                _current++;
                if (value is not NameExpression keyword) throw Fail("expected a name before '=' in an argument list", start.Line);
                arguments.Add(new JinjaArgument(keyword.Name, ParseExpression()));
                sawKeyword = true;
            }
            else
            {
                if (sawKeyword) throw Fail("positional argument after a keyword argument", start.Line);
                arguments.Add(new JinjaArgument(null, value));
            }
            if (Is(JinjaTokenKind.Comma)) _current++;
            else if (!Is(JinjaTokenKind.CloseParen)) throw Fail($"expected ',' or ')' in an argument list, found {Peek}", Peek.Line);
        }
        _current++;
        return arguments;
    }

    private List<JinjaParameter> ParseParameters()
    {
        int line = Peek.Line;
        var parameters = new List<JinjaParameter>();
        foreach (JinjaArgument argument in ParseArguments())
        {
            string name = argument.Name ?? (argument.Value as NameExpression)?.Name ?? throw Fail("expected a parameter name", line);
            if (parameters.Any(p => p.Name == name)) throw Fail($"duplicate parameter '{name}'", line);
            parameters.Add(new JinjaParameter(name, argument.Name is null ? null : argument.Value));
        }
        return parameters;
    }

    private JinjaExpression ParseMember(JinjaExpression target)
    {
        while (Is(JinjaTokenKind.Dot) || Is(JinjaTokenKind.OpenBracket))
        {
            JinjaToken op = _tokens[_current++];
            if (op.Kind == JinjaTokenKind.Dot)
            {
                JinjaToken name = Peek;
                _current++;
                JinjaExpression key = name.Kind switch
                {
                    JinjaTokenKind.Identifier => new LiteralExpression(name.Value, name.Line),
                    JinjaTokenKind.Number when long.TryParse(name.Value, CultureInfo.InvariantCulture, out long index)
                        => new LiteralExpression(index, name.Line),
                    _ => throw Fail($"expected a name after '.', found {name}", name.Line),
                };
                target = new MemberExpression(target, key, Computed: false, op.Line);
                continue;
            }
            var parts = new List<JinjaExpression?>();
            bool isSlice = false;
            while (!Is(JinjaTokenKind.CloseBracket))
            {
                if (Is(JinjaTokenKind.Colon))
                {
                    parts.Add(null);
                    _current++;
                    isSlice = true;
                }
                else
                {
                    parts.Add(ParseExpression());
                    if (Is(JinjaTokenKind.Colon))
                    {
                        _current++;
                        isSlice = true;
                    }
                }
            }
            Expect(JinjaTokenKind.CloseBracket, "']'");
            if (parts.Count == 0) throw Fail("expected an index inside '[]'", op.Line);
            if (isSlice)
            {
                if (parts.Count > 3) throw Fail("a slice takes at most three parts", op.Line);
                target = new SliceExpression(target, parts[0], parts.ElementAtOrDefault(1), parts.ElementAtOrDefault(2), op.Line);
            }
            else
            {
                target = new MemberExpression(target, parts[0]!, Computed: true, op.Line);
            }
        }
        return target;
    }

    private JinjaExpression ParsePrimary()
    {
        JinjaToken token = Peek;
        _current++;
        switch (token.Kind)
        {
            case JinjaTokenKind.Number:
                return token.Value.Contains('.')
                    ? new LiteralExpression(double.Parse(token.Value, CultureInfo.InvariantCulture), token.Line)
                    : new LiteralExpression(long.TryParse(token.Value, CultureInfo.InvariantCulture, out long l) ? l
                        : throw Fail($"integer literal {token.Value} is out of range", token.Line), token.Line);
            case JinjaTokenKind.String:
            {
                string value = token.Value;
                while (Is(JinjaTokenKind.String)) value += _tokens[_current++].Value;
                return new LiteralExpression(value, token.Line);
            }
            case JinjaTokenKind.Identifier:
                return new NameExpression(token.Value, token.Line);
            case JinjaTokenKind.OpenParen:
            {
                JinjaExpression inner = ParseExpressionSequence(primary: false);
                Expect(JinjaTokenKind.CloseParen, "')'");
                return inner;
            }
            case JinjaTokenKind.OpenBracket:
            {
                var items = new List<JinjaExpression>();
                while (!Is(JinjaTokenKind.CloseBracket))
                {
                    items.Add(ParseExpression());
                    if (Is(JinjaTokenKind.Comma)) _current++;
                    else if (!Is(JinjaTokenKind.CloseBracket)) throw Fail($"expected ',' or ']' in a list, found {Peek}", Peek.Line);
                }
                _current++;
                return new ListExpression(items, token.Line);
            }
            case JinjaTokenKind.OpenBrace:
            {
                var items = new List<(JinjaExpression, JinjaExpression)>();
                while (!Is(JinjaTokenKind.CloseBrace))
                {
                    JinjaExpression key = ParseExpression();
                    Expect(JinjaTokenKind.Colon, "':' between a key and its value");
                    items.Add((key, ParseExpression()));
                    if (Is(JinjaTokenKind.Comma)) _current++;
                    else if (!Is(JinjaTokenKind.CloseBrace)) throw Fail($"expected ',' or '}}' in a dict, found {Peek}", Peek.Line);
                }
                _current++;
                return new DictExpression(items, token.Line);
            }
            default:
                throw Fail($"unexpected {token}", token.Line);
        }
    }

    private ChatTemplateException EndOfTemplate() => Fail("unexpected end of the template", LastLine);

    private ChatTemplateException Fail(string what, int line) => new($"{_prefix}: {what} at line {line}");
}
