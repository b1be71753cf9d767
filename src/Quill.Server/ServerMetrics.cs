// The server's counters and their Prometheus text exposition (GET /metrics).
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Quill.Serving;

namespace Quill.Server;

/// <summary>
/// Requests by route and status, prompt and completion tokens, time to first token (a histogram), generated tokens per
/// second over the last <see cref="RateWindowSeconds"/> seconds, and the engine's queue depth and busy slots
/// (read from <see cref="IBatchStatus"/> when scraped). Thread-safe; updates are interlocked adds.
/// </summary>
internal sealed class ServerMetrics(IBatchStatus status)
{
    public const int RateWindowSeconds = 10;
    private static readonly double[] TtftBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private readonly ConcurrentDictionary<(string Route, int Status), long> _requests = new();
    private readonly long[] _ttftCounts = new long[TtftBuckets.Length + 1]; // the last is +Inf
    private readonly long[] _tokensPerSecond = new long[RateWindowSeconds]; // ring of completion tokens per second
    private readonly long[] _secondOfSlot = new long[RateWindowSeconds];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _rateLock = new();
    private long _promptTokens, _completionTokens, _ttftCount, _ttftMicroseconds, _inFlight, _cancelled;
    private long _cachedPromptTokens;
    private long _guardFlagged, _guardBlocked, _canaryLeaks;

    /// <summary>A request the injection guard scored at or above its threshold; <paramref name="blocked"/> in block mode.</summary>
    public void GuardDetected(bool blocked) => Interlocked.Increment(ref blocked ? ref _guardBlocked : ref _guardFlagged);

    /// <summary>A choice cut because its output leaked the request's canary.</summary>
    public void CanaryLeaked() => Interlocked.Increment(ref _canaryLeaks);

    public void RequestStarted() => Interlocked.Increment(ref _inFlight);

    public void RequestFinished(string route, int statusCode)
    {
        Interlocked.Decrement(ref _inFlight);
        _requests.AddOrUpdate((route, statusCode), 1, (_, n) => n + 1);
    }

    /// <summary>Generations ended early because their client left (or the server is stopping).</summary>
    public void GenerationsCancelled(int count) => Interlocked.Add(ref _cancelled, count);

    public void TimeToFirstToken(TimeSpan elapsed)
    {
        double seconds = elapsed.TotalSeconds;
        int bucket = 0;
        while (bucket < TtftBuckets.Length && seconds > TtftBuckets[bucket]) bucket++;
        Interlocked.Increment(ref _ttftCounts[bucket]);
        Interlocked.Increment(ref _ttftCount);
        Interlocked.Add(ref _ttftMicroseconds, (long)(seconds * 1e6));
    }

    /// <summary>Counts a finished generation's tokens; <paramref name="cached"/> of the prompt came from a slot's KV cache.</summary>
    public void Tokens(int prompt, int completion, int cached = 0)
    {
        Interlocked.Add(ref _promptTokens, prompt);
        Interlocked.Add(ref _cachedPromptTokens, cached);
        Interlocked.Add(ref _completionTokens, completion);
        long second = (long)_clock.Elapsed.TotalSeconds;
        lock (_rateLock)
        {
            int slot = (int)(second % RateWindowSeconds);
            if (_secondOfSlot[slot] != second) { _secondOfSlot[slot] = second; _tokensPerSecond[slot] = 0; }
            _tokensPerSecond[slot] += completion;
        }
    }

    /// <summary>Completion tokens of requests finished in the last window, per second.</summary>
    public double TokensPerSecond()
    {
        long now = (long)_clock.Elapsed.TotalSeconds, sum = 0;
        lock (_rateLock)
        {
            for (int i = 0; i < RateWindowSeconds; i++)
                if (now - _secondOfSlot[i] < RateWindowSeconds) sum += _tokensPerSecond[i];
        }
        double window = Math.Clamp(_clock.Elapsed.TotalSeconds, 1, RateWindowSeconds);
        return sum / window;
    }

    /// <summary>The Prometheus text format (version 0.0.4).</summary>
    public string Render()
    {
        var s = new StringBuilder();
        Header(s, "quill_requests_total", "counter", "HTTP requests answered, by route and status code");
        foreach (var ((route, code), count) in _requests.OrderBy(e => e.Key.Route, StringComparer.Ordinal).ThenBy(e => e.Key.Status))
            s.Append("quill_requests_total{route=\"").Append(LabelValue(route)).Append("\",status=\"").Append(code).Append("\"} ").Append(count).Append('\n');
        Metric(s, "quill_requests_in_flight", "gauge", "HTTP requests being answered now", Interlocked.Read(ref _inFlight));
        Metric(s, "quill_prompt_tokens_total", "counter", "Prompt tokens of finished generations", Interlocked.Read(ref _promptTokens));
        Metric(s, "quill_prompt_tokens_cached_total", "counter", "Prompt tokens of finished generations taken from a slot's KV cache (prefix reuse)",
            Interlocked.Read(ref _cachedPromptTokens));
        Metric(s, "quill_completion_tokens_total", "counter", "Tokens generated by finished generations", Interlocked.Read(ref _completionTokens));
        Metric(s, "quill_generations_cancelled_total", "counter", "Generations stopped early because the client disconnected or the server stopped",
            Interlocked.Read(ref _cancelled));
        Metric(s, "quill_tokens_per_second", "gauge", $"Tokens generated per second by generations finished in the last {RateWindowSeconds} s",
            TokensPerSecond());
        Metric(s, "quill_queue_depth", "gauge", "Requests waiting for a slot", status.QueuedRequests);
        Metric(s, "quill_queue_capacity", "gauge", "Requests that may wait for a slot", status.QueueCapacity);
        Metric(s, "quill_active_slots", "gauge", "Sequences holding a slot (prefilling or decoding)", status.ActiveSequences);
        Metric(s, "quill_slots", "gauge", "Sequences decoded together at most", status.Slots);
        Metric(s, "quill_batch_steps_total", "counter", "Forward-pass steps of the batching engine", status.Steps);
        Metric(s, "quill_guard_flagged_total", "counter", "Requests the prompt-injection guard flagged and served (--guard flag)",
            Interlocked.Read(ref _guardFlagged));
        Metric(s, "quill_guard_blocked_total", "counter", "Requests the prompt-injection guard answered with 400 content_filter (--guard block)",
            Interlocked.Read(ref _guardBlocked));
        Metric(s, "quill_guard_canary_leaks_total", "counter", "Choices cut because they repeated the system prompt's canary (--guard-canary)",
            Interlocked.Read(ref _canaryLeaks));
        Header(s, "quill_time_to_first_token_seconds", "histogram", "Seconds from a generation request to its first streamed text");
        long cumulative = 0;
        for (int i = 0; i <= TtftBuckets.Length; i++)
        {
            cumulative += Interlocked.Read(ref _ttftCounts[i]);
            string le = i < TtftBuckets.Length ? Number(TtftBuckets[i]) : "+Inf";
            s.Append("quill_time_to_first_token_seconds_bucket{le=\"").Append(le).Append("\"} ").Append(cumulative).Append('\n');
        }
        s.Append("quill_time_to_first_token_seconds_sum ").Append(Number(Interlocked.Read(ref _ttftMicroseconds) / 1e6)).Append('\n');
        s.Append("quill_time_to_first_token_seconds_count ").Append(Interlocked.Read(ref _ttftCount)).Append('\n');
        return s.ToString();
    }

    private static void Header(StringBuilder s, string name, string type, string help) =>
        s.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Metric(StringBuilder s, string name, string type, string help, double value)
    {
        Header(s, name, type, help);
        s.Append(name).Append(' ').Append(Number(value)).Append('\n');
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A Prometheus label value: backslash, double quote and newline escaped.</summary>
    private static string LabelValue(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
