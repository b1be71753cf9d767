// The OpenAI-compatible HTTP server: Kestrel, the middleware order, the routes, start and stop; the logic is in Endpoints/.
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quill.Server.Contracts;
using Quill.Server.Endpoints;
using Quill.Server.Guard;
using Quill.Server.Logging;
using Quill.Server.Retrieval;

namespace Quill.Server;

/// <summary>
/// Serves one generative model and one embedding model over OpenAI's API (/v1/models, /v1/completions,
/// /v1/chat/completions, /v1/embeddings, /v1/vector_stores with --store) plus /tokenize, /detokenize, /health, /metrics and the playground page at /.
/// Middleware order: errors in OpenAI's shape (outermost, also counting requests) → routing → API key → endpoints;
/// unmatched paths fall back to the playground files, then to a 404.
/// </summary>
public sealed class QuillServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ServedModels _models;
    private readonly ServedStore? _store;
    private int _disposed;

    private QuillServer(WebApplication app, ServedModels models, ServedStore? store, Uri baseAddress)
    {
        _app = app;
        _models = models;
        _store = store;
        BaseAddress = baseAddress;
    }

    /// <summary>Where the server listens, e.g. http://127.0.0.1:54321/.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The ids /v1/models lists: the generative model, then the embedding model.</summary>
    public IReadOnlyList<string> ModelIds => [_models.GenerativeModelId, _models.EmbeddingModelId];

    /// <summary>Loads the models, binds the address and starts answering. Throws IOException when the port is taken.</summary>
    public static async Task<QuillServer> StartAsync(ServerOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        IPAddress? address = AddressOf(options.Host);
        ServedModels models = await Task.Run(() => new ServedModels(options), ct).ConfigureAwait(false);
        WebApplication? app = null;
        ServedStore? store = null;
        try
        {
            store = await Task.Run(() => ServedStore.Open(options.Store, models), ct).ConfigureAwait(false);
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
            builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None); // start failures are thrown to the caller, once
            // Draining: Kestrel stops accepting at once and waits this long for requests in flight (plus a moment for
            // the cancelled ones to end), while the generation token below fires only when the drain time is up.
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.DrainTimeout + TimeSpan.FromSeconds(5));
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
                if (address is null) kestrel.ListenLocalhost(options.Port);
                else kestrel.Listen(address, options.Port);
            });
            app = builder.Build();
            Configure(app, models, store, options);
            await app.StartAsync(ct).ConfigureAwait(false);
            string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                ?? throw new InvalidOperationException("the server started without an address");
            return new QuillServer(app, models, store, new Uri(bound.Replace("://[::]", "://localhost").TrimEnd('/') + "/"));
        }
        catch (IOException e) when (app is not null)
        {
            await DisposeAsync(app, models, store).ConfigureAwait(false);
            throw new IOException($"{options.Host}:{options.Port}: cannot listen there ({e.Message.TrimEnd('.')}); is another server using the port?", e);
        }
        catch
        {
            await DisposeAsync(app, models, store).ConfigureAwait(false);
            throw;
        }
    }

    private static void Configure(WebApplication app, ServedModels models, ServedStore? store, ServerOptions options)
    {
        var metrics = new ServerMetrics(models.Status);
        // Requests in flight keep running while the server drains; they are cancelled when the drain time is up.
        var drained = new CancellationTokenSource();
        app.Lifetime.ApplicationStopping.Register(() => drained.CancelAfter(options.DrainTimeout));
        app.Lifetime.ApplicationStopped.Register(drained.Dispose);
        CancellationToken stopping = drained.Token;
        bool Draining() => app.Lifetime.ApplicationStopping.IsCancellationRequested;
        (RequestLogWriter? requestLog, DriftMonitor? drift) = RequestLogging.Start(app, models, options);
        if (requestLog is not null) app.UseMiddleware<RequestLogMiddleware>(requestLog);
        app.UseMiddleware<ErrorResponses>(metrics, options.MaxRequestBodyBytes);
        app.UseRouting();
        if (options.ApiKey is { } key) app.UseMiddleware<ApiKeyCheck>(key);

        var guard = new RequestGuard(options, metrics);
        app.Lifetime.ApplicationStopped.Register(guard.Dispose);
        var chat = new ChatCompletionsEndpoint(models, metrics, guard, stopping);
        var completions = new CompletionsEndpoint(models, metrics, guard, stopping);
        var embeddings = new EmbeddingsEndpoint(models, metrics);
        var tokenize = new TokenizeEndpoints(models);
        var vectorStores = new VectorStoreEndpoints(store);
        app.MapGet("/v1/models", context => JsonResponse.WriteAsync(context, ModelListOf(models), ServerJsonContext.Default.ModelList));
        app.MapGet("/v1/models/{**id}", context =>
        {
            string id = (string)context.Request.RouteValues["id"]!;
            ModelCard card = ModelListOf(models).Data.FirstOrDefault(m => m.Id == id) ?? throw ApiError.ModelNotFound(id, models.Ids);
            return JsonResponse.WriteAsync(context, card, ServerJsonContext.Default.ModelCard);
        });
        app.MapPost("/v1/chat/completions", chat.HandleAsync);
        app.MapPost("/v1/completions", completions.HandleAsync);
        app.MapPost("/v1/embeddings", embeddings.HandleAsync);
        app.MapGet("/v1/vector_stores", vectorStores.ListAsync);
        app.MapGet("/v1/vector_stores/{id}", vectorStores.GetAsync);
        app.MapPost("/v1/vector_stores/{id}/search", vectorStores.SearchAsync);
        app.MapPost("/tokenize", tokenize.TokenizeAsync);
        app.MapPost("/detokenize", tokenize.DetokenizeAsync);
        app.MapGet("/health", context =>
        {
            // A load balancer's health check takes a draining replica out of rotation (503) before it stops.
            if (Draining()) context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return JsonResponse.WriteAsync(context,
                new HealthResponse(Draining() ? "draining" : "ok", models.Status.Slots, models.Status.ActiveSequences, models.Status.QueuedRequests),
                ServerJsonContext.Default.HealthResponse);
        });
        app.MapGet("/metrics", context =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            return context.Response.WriteAsync(metrics.Render() + requestLog?.RenderMetrics() + drift?.RenderMetrics(), context.RequestAborted);
        });
        app.MapFallback("{**path}", PlaygroundFiles.ServeAsync); // not the default {*path:nonfile}: files are what it serves
    }

    private static ModelList ModelListOf(ServedModels models)
    {
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return new ModelList([new ModelCard(models.GenerativeModelId, created), new ModelCard(models.EmbeddingModelId, created)]);
    }

    /// <summary>An IP address, or null for "localhost" (both loopbacks).</summary>
    private static IPAddress? AddressOf(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return null;
        if (IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? address)) return address;
        throw new ArgumentException($"server options: --host must be an IP address or localhost, found '{host}'");
    }

    /// <summary>Completes when the server stops (Ctrl+C, SIGTERM, or <see cref="DisposeAsync()"/>) or <paramref name="ct"/> fires.</summary>
    public Task WaitForShutdownAsync(CancellationToken ct = default) => _app.WaitForShutdownAsync(ct);

    /// <summary>Stops listening, cancels the generations in flight (their streams end), and frees the models.</summary>
    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _disposed, 1) == 0 ? new(DisposeAsync(_app, _models, _store)) : ValueTask.CompletedTask;

    private static async Task DisposeAsync(WebApplication? app, ServedModels models, ServedStore? store)
    {
        try
        {
            if (app is not null)
            {
                try { await app.StopAsync().ConfigureAwait(false); }
                catch (InvalidOperationException) { } // never started
                await app.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            store?.Dispose();
            models.Dispose();
        }
    }
}
