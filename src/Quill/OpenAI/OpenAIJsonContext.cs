// The source-generated System.Text.Json metadata of the OpenAI response shapes (snake_case), the one wire format of CLI and server.
using System.Text.Json.Serialization;

namespace Quill.OpenAI;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(TextCompletion))]
[JsonSerializable(typeof(ChatCompletion))]
[JsonSerializable(typeof(ChatCompletionChunk))]
public sealed partial class OpenAIJsonContext : JsonSerializerContext;
