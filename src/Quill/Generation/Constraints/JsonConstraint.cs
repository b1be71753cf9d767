// Constrained decoding to JSON (OpenAI response_format json_object / json_schema); the factory the server and IChatClient call.
using System.Text.Json;
using Quill.Tokenizers;

namespace Quill.Generation.Constraints;

/// <summary>
/// Builds per-request constraints that keep generated text a prefix of valid JSON (optionally matching a schema) and
/// make it end complete within the token budget (<see cref="ITokenConstraint.RemainingTokens"/>): a token is allowed
/// only when the shortest completion after it, one token per byte, plus the end-of-generation token still fits.
/// The output has no whitespace after the document, at most 12 whitespace bytes in a row inside it, nesting up to
/// 47 levels, object properties of a schema in schema order, and enum/const values spelled as their compact JSON.
/// If the vocabulary cannot spell what the document needs next (no single-byte tokens), the tokens that get closest
/// are allowed; if nothing continues the document at all, only end-of-generation is, and the output is cut short.
/// Construction is cheap after the first constraint for a tokenizer (which builds a byte trie of its vocabulary,
/// tens of milliseconds for 50k tokens, kept while the tokenizer lives).
/// </summary>
public static class JsonConstraint
{
    private static readonly Lazy<JsonGrammar> AnyObject = new(JsonGrammar.AnyObject);

    /// <summary>Any JSON object (OpenAI's json_object mode). Throws <see cref="ArgumentException"/> when the tokenizer has no end-of-generation
    /// token.</summary>
    public static ITokenConstraint ForObject(ITokenizer tokenizer) => new JsonTokenConstraint(tokenizer, AnyObject.Value);

    /// <summary>
    /// JSON matching <paramref name="schema"/> (OpenAI's json_schema mode: the inner "schema" object). Throws
    /// <see cref="ArgumentException"/> naming the schema keyword and path that is not supported, e.g.
    /// "response_format.json_schema: 'pattern' at #/properties/zip is not supported".
    /// </summary>
    public static ITokenConstraint ForSchema(ITokenizer tokenizer, JsonElement schema) =>
        new JsonTokenConstraint(tokenizer, JsonSchemaCompiler.Compile(schema));
}
