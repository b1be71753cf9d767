// Constrained decoding to JSON (OpenAI response_format json_object / json_schema); the factory the server and IChatClient call.
using System.Text.Json;
using Quill.Tokenizers;

namespace Quill.Generation.Constraints;

/// <summary>Builds per-request constraints that keep generated text a prefix of valid JSON (optionally matching a schema).</summary>
public static class JsonConstraint
{
    /// <summary>Any JSON object (OpenAI's json_object mode).</summary>
    public static ITokenConstraint ForObject(ITokenizer tokenizer) =>
        throw new NotImplementedException("JSON constraints land with the constraint work (issue 5)");

    /// <summary>
    /// JSON matching <paramref name="schema"/> (OpenAI's json_schema mode). Throws <see cref="ArgumentException"/>
    /// naming the schema keyword and path that is not supported.
    /// </summary>
    public static ITokenConstraint ForSchema(ITokenizer tokenizer, JsonElement schema) =>
        throw new NotImplementedException("JSON constraints land with the constraint work (issue 5)");
}
