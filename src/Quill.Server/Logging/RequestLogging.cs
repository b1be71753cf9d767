// Starts the request log and its drift watch for a server whose options ask for them, and stops both when the server has stopped.
using Microsoft.AspNetCore.Builder;

namespace Quill.Server.Logging;

internal static class RequestLogging
{
    /// <summary>
    /// The writer and the drift monitor of <paramref name="options"/>.RequestLog (both null when it is null). They are
    /// disposed when the application has stopped, after the last request, so every row queued is written.
    /// </summary>
    public static (RequestLogWriter? Writer, DriftMonitor? Drift) Start(WebApplication app, ServedModels models, ServerOptions options)
    {
        if (options.RequestLog is not { } log) return (null, null);
        var writer = new RequestLogWriter(log, () => models.Embedder);
        DriftMonitor? drift = null;
        try
        {
            if (log.DriftReference is not null) drift = new DriftMonitor(log, () => Quill.Embeddings.DefaultEmbedder.Load(options.EmbeddingCacheFolder));
        }
        catch
        {
            writer.Dispose();
            throw;
        }
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            drift?.Dispose();
            writer.Dispose();
        });
        return (writer, drift);
    }
}
