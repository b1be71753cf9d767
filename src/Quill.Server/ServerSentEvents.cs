// Writes a text/event-stream response: one `data: JSON` event per chunk, flushed at once, ending in `data: [DONE]`.
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Quill.Server;

/// <summary>Server-sent events as OpenAI streams them; not a general SSE library (no event names, ids or retries).</summary>
internal static class ServerSentEvents
{
    private static readonly byte[] Prefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    /// <summary>Sends the headers: 200, text/event-stream, no caching or proxy buffering.</summary>
    public static async Task BeginAsync(HttpContext context)
    {
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/event-stream; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
    }

    public static async Task WriteAsync<T>(HttpContext context, T value, JsonTypeInfo<T> type)
    {
        Stream body = context.Response.Body;
        CancellationToken ct = context.RequestAborted;
        await body.WriteAsync(Prefix, ct).ConfigureAwait(false);
        await JsonSerializer.SerializeAsync(body, value, type, ct).ConfigureAwait(false);
        await body.WriteAsync(EventEnd, ct).ConfigureAwait(false);
        await body.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>An error after the stream began: the status is already sent, so the error goes as an event.</summary>
    public static async Task WriteErrorAsync(HttpContext context, ApiError error)
    {
        string json = ErrorResponses.Serialize(error);
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes($"data: {json}\n\n"), context.RequestAborted).ConfigureAwait(false);
        await DoneAsync(context).ConfigureAwait(false);
    }

    public static async Task DoneAsync(HttpContext context)
    {
        await context.Response.Body.WriteAsync(Done, context.RequestAborted).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
