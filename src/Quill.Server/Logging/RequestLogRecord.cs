// What one request contributes to the log, filled in by the endpoints as they learn it and completed by the middleware.
using Microsoft.AspNetCore.Http;

namespace Quill.Server.Logging;

/// <summary>One row of the request log, before it is written.</summary>
internal sealed record RequestLogEntry(DateTimeOffset Time, string Route, string? Model, int? PromptTokens, int? CompletionTokens, double LatencyMs,
    double? TtftMs, string? FinishReason, double? MeanLogprob, double? GuardScore, int Status, string? Prompt);

/// <summary>
/// Lives in <c>HttpContext.Items[<see cref="Key"/>]</c> for a logged request; an endpoint that generates calls
/// <see cref="Generated"/>. The guard score is read at the end from <c>Items["quill.guard.score"]</c> (a double set by
/// the prompt guard), so the guard needs no knowledge of the log.
/// </summary>
internal sealed class RequestLogRecord
{
    public const string Key = "quill.log";
    public const string GuardScoreKey = "quill.guard.score";

    private string? _model, _finishReason, _prompt;
    private int? _promptTokens, _completionTokens;
    private double? _ttftMs, _meanLogprob;

    /// <summary>The record of a logged request, or null when the log is off (or the route is not logged).</summary>
    public static RequestLogRecord? Of(HttpContext context) => context.Items.TryGetValue(Key, out object? r) ? r as RequestLogRecord : null;

    /// <summary>
    /// The logprobs a generation asks the engine for when its client asked for none: 0 (the sampled token's only) when the
    /// request is logged, so its row gets a mean logprob; null otherwise. The response still carries no logprobs.
    /// </summary>
    public static int? LogprobsFor(HttpContext context) => Of(context) is null ? null : 0;

    /// <summary>What a generation endpoint knows once its choices have finished.</summary>
    public void Generated(string model, int promptTokens, int completionTokens, ChoiceRun run, string? prompt)
    {
        _model = model;
        _promptTokens = promptTokens;
        _completionTokens = completionTokens;
        _ttftMs = run.TimeToFirstChunk.TotalMilliseconds;
        _finishReason = run.FirstFinishReason;
        _meanLogprob = run.MeanLogprob;
        _prompt = prompt;
    }

    /// <summary>The row, with the request's route, final status and latency; the text left out unless <paramref name="logText"/>.</summary>
    public RequestLogEntry Complete(HttpContext context, DateTimeOffset started, TimeSpan latency, bool logText)
    {
        double? guard = context.Items.TryGetValue(GuardScoreKey, out object? g) ? g switch
        {
            double d => d,
            float f => f,
            _ => null,
        } : null;
        return new RequestLogEntry(started, context.Request.Path.Value ?? "", _model, _promptTokens, _completionTokens, latency.TotalMilliseconds, _ttftMs,
            _finishReason, _meanLogprob, guard, context.Response.StatusCode, logText ? _prompt : null);
    }
}
