// A token of the Jinja subset (kinds as @huggingface/jinja's lexer names them) with its original line.
namespace Quill.Tokenizers.ChatTemplates.Jinja;

internal enum JinjaTokenKind
{
    Text,
    Comment,
    Number,
    String,
    Identifier,
    Equals,
    OpenParen,
    CloseParen,
    OpenStatement,
    CloseStatement,
    OpenExpression,
    CloseExpression,
    OpenBracket,
    CloseBracket,
    OpenBrace,
    CloseBrace,
    Comma,
    Dot,
    Colon,
    Pipe,
    Additive,       // + - ~
    Multiplicative, // * / // %
    Power,          // **
    Comparison,     // < > <= >= == !=
    UnarySign,      // + - before an operand that is not a number
}

/// <summary>One token: its kind, its text (string literals already unescaped) and the template line it came from.</summary>
internal readonly record struct JinjaToken(JinjaTokenKind Kind, string Value, int Line)
{
    public bool IsIdentifier(string name) => Kind == JinjaTokenKind.Identifier && Value == name;

    public override string ToString() => Kind switch
    {
        JinjaTokenKind.Text => "text",
        JinjaTokenKind.String => $"string '{Value}'",
        _ => $"'{Value}'",
    };
}
