// POST /v1/embeddings: one vector per input text, as float lists or base64 of little-endian float32.
using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Quill.Embeddings;
using Quill.Server.Contracts;

namespace Quill.Server.Endpoints;

/// <summary>
/// input is a string or a non-empty list of strings (token-id input is refused: the embedding model has its own
/// tokenizer); dimensions, when given, must equal the model's. Texts longer than the model's window are truncated.
/// </summary>
internal sealed class EmbeddingsEndpoint(ServedModels models, ServerMetrics metrics)
{
    public const int MaxInputs = 2048;

    public async Task HandleAsync(HttpContext context)
    {
        EmbeddingRequest request = await RequestBody.ReadAsync(context, ServerJsonContext.Default.EmbeddingRequest).ConfigureAwait(false);
        models.RequireEmbedding(request.Model);
        List<string> texts = ReadInput(request.Input);
        bool base64 = request.EncodingFormat switch
        {
            null or "float" => false,
            "base64" => true,
            _ => throw ApiError.BadRequest($"Invalid 'encoding_format': expected 'float' or 'base64', found '{request.EncodingFormat}'.", "encoding_format",
                "invalid_value"),
        };
        CancellationToken ct = context.RequestAborted;
        ITextEmbedder embedder = await Task.Run(() => models.Embedder, ct).ConfigureAwait(false); // the first call loads it
        if (request.Dimensions is int dimensions && dimensions != embedder.Dimensions)
            throw ApiError.BadRequest($"Invalid 'dimensions': this model's vectors have {embedder.Dimensions} dimensions, found {dimensions}.", "dimensions",
                "invalid_value");
        EmbeddingResult result = await Task.Run(() => embedder.Embed(texts, ct), ct).ConfigureAwait(false);
        int tokens = 0;
        foreach (int count in result.TokenCounts) tokens += count;
        metrics.Tokens(tokens, 0);

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("object", "list");
            json.WriteStartArray("data");
            for (int i = 0; i < result.Vectors.Length; i++)
            {
                json.WriteStartObject();
                json.WriteString("object", "embedding");
                json.WriteNumber("index", i);
                if (base64) json.WriteBase64String("embedding", MemoryMarshal.AsBytes(result.Vectors[i].AsSpan()));
                else
                {
                    json.WriteStartArray("embedding");
                    foreach (float v in result.Vectors[i]) json.WriteNumberValue(v);
                    json.WriteEndArray();
                }
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteString("model", models.EmbeddingModelId);
            json.WriteStartObject("usage");
            json.WriteNumber("prompt_tokens", tokens);
            json.WriteNumber("total_tokens", tokens);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
    }

    private static List<string> ReadInput(JsonElement? input)
    {
        if (input is not { } e || e.ValueKind == JsonValueKind.Null)
            throw ApiError.BadRequest("Missing required parameter: 'input'.", "input", "missing_required_parameter");
        if (e.ValueKind == JsonValueKind.String) return [e.GetString()!];
        if (e.ValueKind != JsonValueKind.Array)
            throw ApiError.BadRequest("Invalid type for 'input': expected a string or an array of strings.", "input", "invalid_type");
        int count = e.GetArrayLength();
        if (count == 0) throw ApiError.BadRequest("Invalid 'input': expected at least one text, found an empty array.", "input", "empty_array");
        if (count > MaxInputs) throw ApiError.BadRequest($"Invalid 'input': expected at most {MaxInputs} texts, found {count}.", "input", "invalid_value");
        var texts = new List<string>(count);
        int i = 0;
        foreach (JsonElement item in e.EnumerateArray())
        {
            string param = $"input[{i++}]";
            if (item.ValueKind == JsonValueKind.Number || item.ValueKind == JsonValueKind.Array)
                throw ApiError.BadRequest($"Invalid '{param}': token-id input is not supported; send the text.", param, "unsupported_parameter");
            if (item.ValueKind != JsonValueKind.String)
                throw ApiError.BadRequest($"Invalid type for '{param}': expected a string.", param, "invalid_type");
            texts.Add(item.GetString()!);
        }
        return texts;
    }
}
