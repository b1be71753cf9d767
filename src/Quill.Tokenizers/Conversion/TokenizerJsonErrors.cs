// The one-line InvalidDataException messages for malformed tokenizer.json / tokenizer_config.json; cold paths only.
using System.Text.Json;

namespace Quill.Tokenizers.Conversion;

internal static class TokenizerJsonErrors
{
    public static InvalidDataException NotJson(string file, JsonException e) =>
        new($"{file}: expected JSON, found a syntax error at line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}");

    public static InvalidDataException Missing(string file, string path) => new($"{file}: expected \"{path}\", found nothing");

    public static InvalidDataException Expected(string file, string what, JsonValueKind found, string where) =>
        new($"{file}: expected {what}, found {Describe(found)}, at {where}");

    public static InvalidDataException Unsupported(string file, string path, string expected, string found) =>
        new($"{file}: {path} must be {expected} to convert to a GGUF vocabulary, found {found}");

    public static InvalidDataException BadMerge(string file, string merge, int index) =>
        new($"{file}: expected a merge \"left right\", found \"{merge}\", at model.merges[{index}]");

    public static InvalidDataException Invalid(string file, string message) => new($"{file}: {message}");

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Undefined => "nothing",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number (or one out of range)",
        JsonValueKind.True or JsonValueKind.False => "a bool",
        _ => "null",
    };
}
