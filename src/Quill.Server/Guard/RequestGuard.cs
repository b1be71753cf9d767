// The prompt-injection guard in the server: scans user messages and tool results, then blocks, flags or lets through.
using Microsoft.AspNetCore.Http;
using Quill.Safety;

namespace Quill.Server.Guard;

/// <summary>One text the guard reads: the field it came from (for the report) and whether it is a tool result.</summary>
internal readonly record struct GuardedText(string Field, string Text, bool ToolResult);

/// <summary>
/// User messages and tool-result messages are scored separately (each message its own text, long ones in the
/// embedder's windows); the request's score is the highest. <see cref="ScoreKey"/> is where the score is left for the
/// request log. The embedder loads on the first scan, as the served embedding model does.
/// </summary>
internal sealed class RequestGuard : IDisposable
{
    /// <summary>HttpContext.Items key of the request's guard score (a double), read by the request log.</summary>
    public const string ScoreKey = "quill.guard.score";

    private readonly Lazy<InjectionGuard> _guard;
    private readonly ServerMetrics _metrics;

    public RequestGuard(ServerOptions options, ServerMetrics metrics)
    {
        Mode = options.Guard;
        Canary = options.GuardCanary;
        _metrics = metrics;
        string? cache = options.EmbeddingCacheFolder, model = options.GuardModelPath;
        int threads = options.Threads;
        _guard = new Lazy<InjectionGuard>(() => InjectionGuard.Load(model, cache, threads), LazyThreadSafetyMode.ExecutionAndPublication);
        ThresholdOverride = options.GuardThreshold;
        if (Mode != GuardMode.Off && model is not null) _ = _guard.Value; // a bad --guard-model fails at start, not on the first request
    }

    public GuardMode Mode { get; }

    /// <summary>True when chat requests get a canary in their system prompt.</summary>
    public bool Canary { get; }

    private double? ThresholdOverride { get; }

    /// <summary>
    /// Scores <paramref name="texts"/> (nothing when the mode is off); records the score, counts a flag, and throws the
    /// 400 content_filter error in block mode when any text is an injection.
    /// </summary>
    public void Check(HttpContext context, IReadOnlyList<GuardedText> texts)
    {
        if (Mode == GuardMode.Off || texts.Count == 0) return;
        InjectionGuard guard = _guard.Value;
        double threshold = ThresholdOverride ?? guard.Model.Threshold;
        IReadOnlyList<GuardResult> results = guard.Check([.. texts.Select(t => t.Text)], threshold, context.RequestAborted);
        double score = results.Max(r => r.Score);
        context.Items[ScoreKey] = score;
        if (score < threshold) return;
        _metrics.GuardDetected(Mode == GuardMode.Block);
        if (Mode == GuardMode.Flag) return;
        var filter = new ContentFilterResult(Shield(texts, results, threshold, toolResults: false), Shield(texts, results, threshold, toolResults: true));
        ShieldResult worst = new[] { filter.Jailbreak, filter.IndirectAttack }.OfType<ShieldResult>().MaxBy(s => s.Score)!;
        throw new ApiError(400, $"The request was blocked by the prompt-injection guard: {worst.Source} scored {worst.Score:F3}, at or above the " +
            $"threshold {threshold:F3}{(worst.Matches.Count > 0 ? $" (matched \"{worst.Matches[0]}\")" : "")}.", ApiError.InvalidRequest, worst.Source,
            "content_filter")
        {
            InnerError = new GuardInnerError(filter),
        };
    }

    private static ShieldResult? Shield(IReadOnlyList<GuardedText> texts, IReadOnlyList<GuardResult> results, double threshold, bool toolResults)
    {
        int best = -1;
        for (int i = 0; i < texts.Count; i++)
            if (texts[i].ToolResult == toolResults && (best < 0 || results[i].Score > results[best].Score)) best = i;
        if (best < 0) return null;
        GuardResult r = results[best];
        bool detected = r.Score >= threshold;
        return new ShieldResult(detected, detected, Math.Round(r.Score, 6), threshold, texts[best].Field, [.. r.Hits.Select(h => h.Text)]);
    }

    public void Dispose()
    {
        if (_guard.IsValueCreated) _guard.Value.Dispose();
    }
}
