// Reads a request body as JSON into a contract type, turning every failure into OpenAI's 400/413 errors; not validation of values.
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Quill.Server;

/// <summary>
/// Invalid JSON is a 400 without a param; a value of the wrong type is a 400 whose param is the JSON path of the field
/// (e.g. <c>messages[0].content</c>); a string that is not Unicode text (a lone surrogate escape) is a 400 naming the field
/// (<see cref="JsonTextCheck"/>); a body over the limit is Kestrel's 413, answered in OpenAI's shape.
/// </summary>
internal static partial class RequestBody
{
    public static async Task<T> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type) where T : class
    {
        T? value;
        try
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
            ReadOnlyMemory<byte> json = body.GetBuffer().AsMemory(0, (int)body.Length);
            JsonTextCheck.RequireUnicode(json.Span);
            value = JsonSerializer.Deserialize(json.Span, type);
        }
        catch (InvalidOperationException e) when (e is not ObjectDisposedException)
        {
            throw ApiError.InvalidJson(e.Message); // the reader's last word on text it cannot read; JsonTextCheck should have named it
        }
        catch (JsonException e) when (e.InnerException is JsonException || e.Path is null or "$")
        {
            throw ApiError.InvalidJson(FirstSentence(e.InnerException?.Message ?? e.Message));
        }
        catch (JsonException e)
        {
            throw WrongType(e);
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw ApiError.TooLarge(context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize ?? 0);
        }
        return value ?? throw ApiError.InvalidJson("expected a JSON object, found null");
    }

    /// <summary>The JSON path of a field without the leading "$.", as OpenAI's param names it.</summary>
    public static string ParamOf(string path) => path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    private static ApiError WrongType(JsonException e)
    {
        string param = ParamOf(e.Path!);
        Match match = ConvertedTo().Match(e.Message);
        string expected = match.Success ? Describe(match.Groups[1].Value) : "another type";
        return ApiError.BadRequest($"Invalid type for '{param}': expected {expected}.", param, "invalid_type");
    }

    private static string Describe(string clrType) => clrType switch
    {
        _ when clrType.Contains("Double") || clrType.Contains("Single") => "a number",
        _ when clrType.Contains("Int32") || clrType.Contains("Int64") => "an integer",
        _ when clrType.Contains("Boolean") => "a boolean",
        _ when clrType.Contains("String") => "a string",
        _ when clrType.Contains("List") || clrType.Contains("[]") => "an array",
        _ => "an object",
    };

    private static string FirstSentence(string message)
    {
        int path = message.IndexOf(" Path:", StringComparison.Ordinal);
        return path > 0 ? message[..path] : message;
    }

    [GeneratedRegex(@"converted to ([^\s]+?)\. Path")]
    private static partial Regex ConvertedTo();
}
