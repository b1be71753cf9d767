// The JSON of POST /v1/embeddings requests; the response is written by hand (an item is a float list or base64 text).
using System.Text.Json;

namespace Quill.Server.Contracts;

/// <summary>input is a string or a list of strings; encoding_format "float" (default) or "base64".</summary>
internal sealed class EmbeddingRequest
{
    public string? Model { get; set; }
    public JsonElement? Input { get; set; }
    public string? EncodingFormat { get; set; }
    public int? Dimensions { get; set; }
    public string? User { get; set; }
}
