// An error answered in OpenAI's shape ({"error":{"message","type","param","code"}}) with its HTTP status.
namespace Quill.Server;

/// <summary>
/// Thrown by endpoint code for anything the client did wrong (or a busy server); the error middleware writes it as
/// OpenAI's error object. Factories give the status codes and types OpenAI uses.
/// </summary>
public sealed class ApiError(int status, string message, string type, string? param = null, string? code = null) : Exception(message)
{
    public int Status { get; } = status;
    public string Type { get; } = type;
    public string? Param { get; } = param;
    public string? Code { get; } = code;

    /// <summary>Azure OpenAI's error.innererror: the prompt-injection guard's detection result on a blocked request.</summary>
    internal Guard.GuardInnerError? InnerError { get; init; }

    public const string InvalidRequest = "invalid_request_error";

    /// <summary>400: a parameter is missing, of the wrong type or out of range.</summary>
    public static ApiError BadRequest(string message, string? param = null, string? code = null) =>
        new(400, message, InvalidRequest, param, code);

    /// <summary>400: the body is not JSON.</summary>
    public static ApiError InvalidJson(string detail) =>
        new(400, $"We could not parse the JSON body of your request: {detail}", InvalidRequest, null, "invalid_json");

    /// <summary>401: no key or the wrong key.</summary>
    public static ApiError Unauthorized(bool keyGiven) => new(401,
        keyGiven ? "Incorrect API key provided." : "You didn't provide an API key. Send it as 'Authorization: Bearer KEY'.",
        InvalidRequest, null, "invalid_api_key");

    /// <summary>404: the model is not served here.</summary>
    public static ApiError ModelNotFound(string model, IEnumerable<string> served) => new(404,
        $"The model '{model}' does not exist; this server serves {string.Join(", ", served.Select(m => $"'{m}'"))}.",
        InvalidRequest, "model", "model_not_found");

    /// <summary>404: no such route.</summary>
    public static ApiError UnknownRoute(string method, string path) =>
        new(404, $"Invalid URL ({method} {path})", InvalidRequest, null, "unknown_url");

    /// <summary>405: the route exists for another method.</summary>
    public static ApiError MethodNotAllowed(string method, string path) =>
        new(405, $"Method not allowed ({method} {path})", InvalidRequest, null, "method_not_allowed");

    /// <summary>413: the body is larger than the server takes.</summary>
    public static ApiError TooLarge(long limit) =>
        new(413, $"The request body is larger than the {limit} bytes this server accepts.", InvalidRequest, null, "request_too_large");

    /// <summary>429: the waiting queue is full.</summary>
    public static ApiError QueueFull(string message) => new(429, message, "rate_limit_error", null, "queue_full");

    /// <summary>404: the vector store named is not the one this server searches (or it searches none).</summary>
    public static ApiError VectorStoreNotFound(string message) => new(404, message, InvalidRequest, "vector_store_id", "vector_store_not_found");

    /// <summary>503: something the server depends on (the document store's database) cannot answer now; retrying later may work.</summary>
    public static ApiError Unavailable(string message) => new(503, message, "server_error", null, "service_unavailable");

    /// <summary>500: a fault of the server, never of the input.</summary>
    public static ApiError Internal(string message) => new(500, message, "server_error", null, null);
}
