// What kind of token an id is, as llama.cpp's llama_token_attr bits; not the GGUF token_type numbers (see FromGgufType).
namespace Quill.Tokenizers;

/// <summary>Token attributes; several may be set (e.g. a user-defined token that llama.cpp also treats as control).</summary>
[Flags]
public enum TokenAttributes
{
    Undefined = 0,
    Unknown = 1 << 0,
    Unused = 1 << 1,
    Normal = 1 << 2,
    Control = 1 << 3,
    UserDefined = 1 << 4,
    Byte = 1 << 5,
}

/// <summary>Maps <c>tokenizer.ggml.token_type</c> values (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte).</summary>
public static class GgufTokenType
{
    public static TokenAttributes ToAttributes(int tokenType) => tokenType switch
    {
        1 => TokenAttributes.Normal,
        2 => TokenAttributes.Unknown,
        3 => TokenAttributes.Control,
        4 => TokenAttributes.UserDefined,
        5 => TokenAttributes.Unused,
        6 => TokenAttributes.Byte,
        _ => TokenAttributes.Undefined,
    };
}
