// Requires `Authorization: Bearer KEY` on the API routes when the server has a key.
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Quill.Server;

/// <summary>
/// Guards /v1/*, /tokenize, /detokenize and /metrics. The playground page and its files and /health stay open (the
/// page asks for the key and sends it with its API calls; health checks of load balancers carry no key).
/// The comparison takes the same time wherever the keys differ.
/// </summary>
internal sealed class ApiKeyCheck(RequestDelegate next, string key)
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes(key);

    public static bool IsProtected(PathString path) =>
        path.StartsWithSegments("/v1") || path.StartsWithSegments("/tokenize") || path.StartsWithSegments("/detokenize")
        || path.StartsWithSegments("/metrics");

    public Task InvokeAsync(HttpContext context)
    {
        if (!IsProtected(context.Request.Path) || HttpMethods.IsOptions(context.Request.Method)) return next(context);
        string? header = context.Request.Headers.Authorization;
        const string Scheme = "Bearer ";
        if (header is null || !header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)) throw ApiError.Unauthorized(keyGiven: false);
        byte[] given = Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim());
        if (!CryptographicOperations.FixedTimeEquals(given, _expected)) throw ApiError.Unauthorized(keyGiven: true);
        return next(context);
    }
}
