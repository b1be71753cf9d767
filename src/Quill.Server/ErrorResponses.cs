// The middleware that answers every failure in OpenAI's error shape and counts requests for /metrics.
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Quill.Server.Contracts;

namespace Quill.Server;

/// <summary>
/// <see cref="ApiError"/>s become their status and error object; Kestrel's bad requests (body too large, malformed
/// framing) keep their status in OpenAI's shape; an unmatched route is a 404 (routing's bare 405 for a known path
/// with another method gets a body too); a client that went away gets nothing; anything else is a logged 500.
/// </summary>
internal sealed class ErrorResponses(RequestDelegate next, ServerMetrics metrics, ILogger<ErrorResponses> log, long maxBodyBytes)
{
    public async Task InvokeAsync(HttpContext context)
    {
        metrics.RequestStarted();
        try
        {
            await next(context).ConfigureAwait(false);
            if (!context.Response.HasStarted && context.Response.StatusCode == StatusCodes.Status405MethodNotAllowed)
                await WriteAsync(context, ApiError.MethodNotAllowed(context.Request.Method, context.Request.Path)).ConfigureAwait(false);
            else if (!context.Response.HasStarted && context.Response.StatusCode == StatusCodes.Status404NotFound)
                await WriteAsync(context, ApiError.UnknownRoute(context.Request.Method, context.Request.Path)).ConfigureAwait(false);
        }
        catch (ApiError error)
        {
            await TryWriteAsync(context, error).ConfigureAwait(false);
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException bad)
        {
            await TryWriteAsync(context, bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? ApiError.TooLarge(maxBodyBytes)
                : new ApiError(bad.StatusCode, bad.Message, ApiError.InvalidRequest)).ConfigureAwait(false);
        }
        catch (Exception e) when (context.RequestAborted.IsCancellationRequested && e is OperationCanceledException or IOException)
        {
            // The client left; there is nobody to answer.
        }
        catch (Exception e)
        {
            log.LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
            await TryWriteAsync(context, ApiError.Internal($"The server failed: {e.Message}")).ConfigureAwait(false);
        }
        finally
        {
            metrics.RequestFinished(RouteOf(context), context.Response.StatusCode);
        }
    }

    public static string Serialize(ApiError error) => JsonSerializer.Serialize(
        new ErrorBody(new ErrorDetail(error.Message, error.Type, error.Param, error.Code) { Innererror = error.InnerError }),
        ServerJsonContext.Default.ErrorBody);

    private static async Task TryWriteAsync(HttpContext context, ApiError error)
    {
        if (context.Response.HasStarted)
        {
            if (context.Response.ContentType?.StartsWith("text/event-stream", StringComparison.Ordinal) == true)
            {
                try { await ServerSentEvents.WriteErrorAsync(context, error).ConfigureAwait(false); }
                catch (Exception e) when (e is IOException or OperationCanceledException) { }
            }
            return;
        }
        await WriteAsync(context, error).ConfigureAwait(false);
    }

    private static async Task WriteAsync(HttpContext context, ApiError error)
    {
        context.Response.Clear();
        context.Response.StatusCode = error.Status;
        context.Response.ContentType = "application/json";
        if (error.Status == StatusCodes.Status401Unauthorized) context.Response.Headers.WWWAuthenticate = "Bearer";
        if (error.Status == StatusCodes.Status413PayloadTooLarge) context.Response.Headers.Connection = "close";
        await context.Response.WriteAsync(Serialize(error), context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The matched route pattern (bounded label values), or "unmatched".</summary>
    private static string RouteOf(HttpContext context) => context.GetEndpoint() switch
    {
        Microsoft.AspNetCore.Routing.RouteEndpoint { RoutePattern.RawText: "{**path}" } => "playground", // the fallback serves the page's files
        Microsoft.AspNetCore.Routing.RouteEndpoint route => route.RoutePattern.RawText ?? "unmatched",
        _ => "unmatched",
    };
}
