// Binary and unary operators with @huggingface/jinja's typing rules (and Jinja's where it raises instead).
namespace Quill.Tokenizers.ChatTemplates.Jinja;

internal static class JinjaOperators
{
    /// <summary>Applies a binary operator other than "and"/"or" (those short-circuit in the interpreter).</summary>
    public static object? Binary(string op, object? left, object? right)
    {
        switch (op)
        {
            case "==": return JinjaValue.LooseEquals(left, right);
            case "!=": return !JinjaValue.LooseEquals(left, right);
            case "~": return JinjaText.Concatenated(left) + JinjaText.Concatenated(right);
        }
        if (right is JinjaUndefined && op is "in" or "not in") return op == "not in";
        if (left is JinjaUndefined || right is JinjaUndefined) throw Unsupported(op, left, right);
        if (left is null || right is null) throw Unsupported(op, left, right);

        if (op == "**" && IsNumeric(left) && IsNumeric(right)) return Power(left, right);
        if (JinjaValue.IsNumber(left) && JinjaValue.IsNumber(right))
        {
            bool isFloat = left is double || right is double;
            if (!isFloat)
            {
                long a = (long)left, b = (long)right;
                switch (op)
                {
                    case "+": return a + b;
                    case "-": return a - b;
                    case "*": return a * b;
                    case "/": return b == 0 ? throw DivisionByZero() : (double)a / b;
                    case "//": return b == 0 ? throw DivisionByZero() : (long)Math.Floor((double)a / b);
                    case "%": return b == 0 ? throw DivisionByZero() : a % b;
                }
            }
            double x = JinjaValue.ToDouble(left), y = JinjaValue.ToDouble(right);
            switch (op)
            {
                case "+": return x + y;
                case "-": return x - y;
                case "*": return x * y;
                case "/": return y == 0 ? throw DivisionByZero() : x / y;
                case "//": return y == 0 ? throw DivisionByZero() : Math.Floor(x / y);
                case "%": return y == 0 ? throw DivisionByZero() : x % y;
                case "<": return x < y;
                case ">": return x > y;
                case "<=": return x <= y;
                case ">=": return x >= y;
            }
        }
        else if (left is List<object?> l && right is List<object?> r)
        {
            if (op == "+") return new List<object?>([.. l, .. r]);
        }
        else if (right is List<object?> list)
        {
            bool member = list.Any(item => JinjaValue.StrictEquals(item, left));
            if (op == "in") return member;
            if (op == "not in") return !member;
        }

        if (op == "+" && (left is string || right is string)) return JinjaText.Concatenated(left) + JinjaText.Concatenated(right);
        if (left is string ls && right is string rs)
        {
            switch (op)
            {
                case "in": return rs.Contains(ls, StringComparison.Ordinal);
                case "not in": return !rs.Contains(ls, StringComparison.Ordinal);
                case "<": return string.CompareOrdinal(ls, rs) < 0;
                case ">": return string.CompareOrdinal(ls, rs) > 0;
                case "<=": return string.CompareOrdinal(ls, rs) <= 0;
                case ">=": return string.CompareOrdinal(ls, rs) >= 0;
            }
        }
        if (left is string key && right is JinjaDict dict)
        {
            if (op == "in") return dict.ContainsKey(key);
            if (op == "not in") return !dict.ContainsKey(key);
        }
        throw Unsupported(op, left, right);
    }

    public static object? Unary(string op, object? operand)
    {
        if (op == "not") return !JinjaValue.Truthy(operand);
        int sign = op == "-" ? -1 : 1;
        return operand switch
        {
            long l => (object)(sign * l),
            double d => sign * d,
            bool b => sign * (b ? 1L : 0L),
            _ => throw new JinjaRuntimeException($"unary '{op}' cannot apply to a {JinjaValue.TypeName(operand)}"),
        };
    }

    private static bool IsNumeric(object? value) => value is long or double or bool;

    private static object Power(object left, object right)
    {
        double a = JinjaValue.ToDouble(left), b = JinjaValue.ToDouble(right);
        if (a == 0 && b < 0) throw new JinjaRuntimeException("0.0 cannot be raised to a negative power");
        double result = Math.Pow(a, b);
        if (!double.IsFinite(result)) throw new JinjaRuntimeException("'**' gave a result that is not a finite real number");
        bool isFloat = left is double || right is double || b < 0;
        return isFloat || Math.Abs(result) >= 9.2e18 ? result : (object)(long)result;
    }

    private static JinjaRuntimeException DivisionByZero() => new("division by zero");

    private static JinjaRuntimeException Unsupported(string op, object? left, object? right) =>
        new($"operator '{op}' cannot apply to a {JinjaValue.TypeName(left)} and a {JinjaValue.TypeName(right)}");
}
