// The outermost middleware when --log is on: times each POST /v1/* request and hands its row to the writer without waiting.
using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Quill.Server.Logging;

/// <summary>
/// Outermost, so the row sees the status the error middleware settled on. Enqueueing never blocks and never throws
/// into the request: a full queue or a failure is counted by <see cref="RequestLogWriter"/>.
/// </summary>
internal sealed class RequestLogMiddleware(RequestDelegate next, RequestLogWriter writer)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method) || !context.Request.Path.StartsWithSegments("/v1"))
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        var record = new RequestLogRecord();
        context.Items[RequestLogRecord.Key] = record;
        DateTimeOffset started = DateTimeOffset.UtcNow;
        long start = Stopwatch.GetTimestamp();
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            // Built here, not on the writer's task: the context is recycled once the request ends.
            writer.Enqueue(() => record.Complete(context, started, Stopwatch.GetElapsedTime(start), writer.LogText));
        }
    }
}
