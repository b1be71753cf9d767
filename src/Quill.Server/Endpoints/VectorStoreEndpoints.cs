// GET /v1/vector_stores[/{id}] and POST /v1/vector_stores/{id}/search: the --store documents, searched the OpenAI way.
using System.Buffers;
using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Quill.Search;
using Quill.Search.Retrieval;
using Quill.Server.Contracts;
using Quill.Server.Retrieval;

namespace Quill.Server.Endpoints;

/// <summary>
/// The one store this server searches is listed as <see cref="ServedStore.Id"/> (also reachable as "default").
/// Results are OpenAI's <c>vector_store.search_results.page</c>: per chunk a file_id (a hash of the path, the same on
/// every replica), the filename, the score, attributes (path, start_line, end_line) and the text as one content part.
/// filters (file attributes) and rewrite_query are not supported and say so; a database that cannot answer is a 503.
/// </summary>
internal sealed class VectorStoreEndpoints(ServedStore? store)
{
    public const int MaxResults = 50;
    public const int MaxQueries = 16;

    public Task ListAsync(HttpContext context) => WriteAsync(context, json =>
    {
        json.WriteStartObject();
        json.WriteString("object", "list");
        json.WriteStartArray("data");
        if (store is not null) WriteStore(json, store);
        json.WriteEndArray();
        json.WriteString("first_id", store is null ? null : ServedStore.Id);
        json.WriteString("last_id", store is null ? null : ServedStore.Id);
        json.WriteBoolean("has_more", false);
        json.WriteEndObject();
    });

    public Task GetAsync(HttpContext context)
    {
        ServedStore served = Find(context);
        return WriteAsync(context, json => WriteStore(json, served));
    }

    public async Task SearchAsync(HttpContext context)
    {
        ServedStore served = Find(context);
        VectorStoreSearchRequest request = await RequestBody.ReadAsync(context, ServerJsonContext.Default.VectorStoreSearchRequest).ConfigureAwait(false);
        List<string> queries = ReadQueries(request.Query);
        int k = request.MaxNumResults ?? 10;
        if (k is < 1 or > MaxResults)
            throw ApiError.BadRequest($"Invalid 'max_num_results': expected 1 to {MaxResults}, found {k}.", "max_num_results", "invalid_value");
        if (request.Filters is { ValueKind: not JsonValueKind.Null })
            throw ApiError.BadRequest("'filters' is not supported: Quill's stores keep no file attributes to filter on.", "filters", "unsupported_parameter");
        if (request.RewriteQuery == true)
            throw ApiError.BadRequest("'rewrite_query' is not supported: queries are searched as given.", "rewrite_query", "unsupported_parameter");
        double threshold = request.RankingOptions?.ScoreThreshold ?? double.NegativeInfinity;
        if (request.RankingOptions?.ScoreThreshold is double t && (double.IsNaN(t) || t < 0))
        {
            throw ApiError.BadRequest($"Invalid 'ranking_options.score_threshold': expected 0 or more, found {t}.", "ranking_options.score_threshold",
                "invalid_value");
        }
        if (request.RankingOptions?.Ranker is { } ranker && ranker is not ("auto" or "none" or "default-2024-11-15" or "default_2024_08_21"))
        {
            throw ApiError.BadRequest($"Invalid 'ranking_options.ranker': expected 'auto' or 'none', found '{ranker}'.", "ranking_options.ranker",
                "invalid_value");
        }
        RetrievalMode mode;
        try
        {
            mode = HybridRetriever.ParseMode(request.Mode ?? "hybrid", "mode");
        }
        catch (ArgumentException e)
        {
            throw ApiError.BadRequest($"Invalid 'mode': {e.Message["mode: ".Length..]}.", "mode", "invalid_value");
        }
        CancellationToken ct = context.RequestAborted;
        IReadOnlyList<SearchHit> hits;
        try
        {
            hits = await Task.Run(() => new HybridRetriever(served.Index).Retrieve(queries, k, mode), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DbException or IOException or InvalidDataException)
        {
            throw ApiError.Unavailable($"The document store {served.Name} cannot be searched now: {e.Message}");
        }
        await WriteAsync(context, json =>
        {
            json.WriteStartObject();
            json.WriteString("object", "vector_store.search_results.page");
            json.WriteStartArray("search_query");
            foreach (string q in queries) json.WriteStringValue(q);
            json.WriteEndArray();
            json.WriteStartArray("data");
            foreach (SearchHit hit in hits.Where(h => h.Score >= threshold))
            {
                json.WriteStartObject();
                json.WriteString("file_id", FileId(hit.File));
                json.WriteString("filename", Path.GetFileName(hit.File));
                json.WriteNumber("score", hit.Score);
                json.WriteStartObject("attributes");
                json.WriteString("path", hit.File);
                json.WriteNumber("start_line", hit.StartLine);
                json.WriteNumber("end_line", hit.EndLine);
                json.WriteEndObject();
                json.WriteStartArray("content");
                json.WriteStartObject();
                json.WriteString("type", "text");
                json.WriteString("text", hit.Text);
                json.WriteEndObject();
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteBoolean("has_more", false);
            json.WriteNull("next_page");
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary>"file-" and 24 hex digits of the path's SHA-256: stable across replicas and stores, unlike row ids.</summary>
    public static string FileId(string path) => "file-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(path)))[..24];

    private ServedStore Find(HttpContext context)
    {
        string id = (string)context.Request.RouteValues["id"]!;
        if (store is null)
            throw ApiError.VectorStoreNotFound($"No vector store found with id '{id}': this server searches none (start quill serve with --store).");
        if (!ServedStore.Names(id))
            throw ApiError.VectorStoreNotFound($"No vector store found with id '{id}'; this server searches '{ServedStore.Id}'.");
        return store;
    }

    private static List<string> ReadQueries(JsonElement? query)
    {
        if (query is not { } e || e.ValueKind == JsonValueKind.Null)
            throw ApiError.BadRequest("Missing required parameter: 'query'.", "query", "missing_required_parameter");
        var queries = new List<string>();
        if (e.ValueKind == JsonValueKind.String) queries.Add(e.GetString()!);
        else if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement item in e.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                    throw ApiError.BadRequest("Invalid type for 'query': expected a string or an array of strings.", "query", "invalid_type");
                queries.Add(item.GetString()!);
            }
        }
        else throw ApiError.BadRequest("Invalid type for 'query': expected a string or an array of strings.", "query", "invalid_type");
        if (queries.Count is 0 or > MaxQueries)
            throw ApiError.BadRequest($"Invalid 'query': expected 1 to {MaxQueries} queries, found {queries.Count}.", "query", "invalid_value");
        if (queries.Any(string.IsNullOrWhiteSpace))
            throw ApiError.BadRequest("Invalid 'query': a query is empty.", "query", "invalid_value");
        return queries;
    }

    private static void WriteStore(Utf8JsonWriter json, ServedStore served)
    {
        (string model, long files, long chunks) = served.Describe();
        json.WriteStartObject();
        json.WriteString("id", ServedStore.Id);
        json.WriteString("object", "vector_store");
        json.WriteNumber("created_at", served.CreatedAt.ToUnixTimeSeconds());
        json.WriteString("name", served.Name);
        json.WriteNumber("usage_bytes", 0);
        json.WriteStartObject("file_counts");
        json.WriteNumber("in_progress", 0);
        json.WriteNumber("completed", files);
        json.WriteNumber("failed", 0);
        json.WriteNumber("cancelled", 0);
        json.WriteNumber("total", files);
        json.WriteEndObject();
        json.WriteString("status", "completed");
        json.WriteNull("expires_after");
        json.WriteNull("expires_at");
        json.WriteNull("last_active_at");
        json.WriteStartObject("metadata");
        json.WriteString("embedding_model", model);
        json.WriteString("chunks", chunks.ToString(System.Globalization.CultureInfo.InvariantCulture));
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private async Task WriteAsync(HttpContext context, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        try
        {
            using var json = new Utf8JsonWriter(buffer);
            write(json);
        }
        catch (Exception e) when (e is DbException or IOException or InvalidDataException)
        {
            throw ApiError.Unavailable($"The document store {store?.Name} cannot be read now: {e.Message}");
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }
}
