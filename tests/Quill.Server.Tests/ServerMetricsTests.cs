// ServerMetrics on its own: counters, the cumulative time-to-first-token histogram, the engine gauges.
using Quill.Serving;

namespace Quill.Server.Tests;

public sealed class ServerMetricsTests
{
    private sealed class FixedStatus : IBatchStatus
    {
        public int Slots => 4;
        public int ActiveSequences => 3;
        public int QueuedRequests => 2;
        public int QueueCapacity => 8;
        public long Steps => 99;
    }

    private static string Line(string text, string prefix) =>
        text.Split('\n').Single(l => l.StartsWith(prefix + " ", StringComparison.Ordinal))[(prefix.Length + 1)..];

    [Fact]
    public void HistogramBucketsAreCumulative()
    {
        var metrics = new ServerMetrics(new FixedStatus());
        foreach (double seconds in new[] { 0.005, 0.04, 0.04, 3, 100 }) metrics.TimeToFirstToken(TimeSpan.FromSeconds(seconds));
        string text = metrics.Render();
        Assert.Equal("1", Line(text, "quill_time_to_first_token_seconds_bucket{le=\"0.01\"}"));
        Assert.Equal("3", Line(text, "quill_time_to_first_token_seconds_bucket{le=\"0.05\"}"));
        Assert.Equal("3", Line(text, "quill_time_to_first_token_seconds_bucket{le=\"2.5\"}"));
        Assert.Equal("4", Line(text, "quill_time_to_first_token_seconds_bucket{le=\"30\"}"));
        Assert.Equal("5", Line(text, "quill_time_to_first_token_seconds_bucket{le=\"+Inf\"}"));
        Assert.Equal("5", Line(text, "quill_time_to_first_token_seconds_count"));
        Assert.Equal(103.085, double.Parse(Line(text, "quill_time_to_first_token_seconds_sum"), System.Globalization.CultureInfo.InvariantCulture), 1e-6);
    }

    [Fact]
    public void CountersAndGaugesAreRendered()
    {
        var metrics = new ServerMetrics(new FixedStatus());
        metrics.RequestStarted();
        metrics.RequestFinished("/v1/completions", 200);
        metrics.RequestStarted();
        metrics.RequestFinished("/v1/completions", 429);
        metrics.Tokens(10, 30, cached: 9);
        metrics.Tokens(5, 0);
        metrics.GenerationsCancelled(2);
        string text = metrics.Render();
        Assert.Equal("1", Line(text, "quill_requests_total{route=\"/v1/completions\",status=\"429\"}"));
        Assert.Equal("15", Line(text, "quill_prompt_tokens_total"));
        Assert.Equal("9", Line(text, "quill_prompt_tokens_cached_total"));
        Assert.Equal("30", Line(text, "quill_completion_tokens_total"));
        Assert.Equal("0", Line(text, "quill_requests_in_flight"));
        Assert.Equal("2", Line(text, "quill_generations_cancelled_total"));
        Assert.Equal(("2", "3", "4", "8", "99"), (Line(text, "quill_queue_depth"), Line(text, "quill_active_slots"), Line(text, "quill_slots"),
            Line(text, "quill_queue_capacity"), Line(text, "quill_batch_steps_total")));
        Assert.True(double.Parse(Line(text, "quill_tokens_per_second"), System.Globalization.CultureInfo.InvariantCulture) > 0);
    }
}
