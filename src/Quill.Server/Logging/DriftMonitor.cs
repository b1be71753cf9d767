// The in-process drift watch of `quill serve --log DB --drift-reference REF`: every interval, the log's newest rows against the reference.
using Quill.Embeddings;
using Quill.Monitoring.Data;
using Quill.Monitoring.Drift;

namespace Quill.Server.Logging;

/// <summary>
/// Reads the newest <see cref="RequestLogOptions.DriftWindow"/> rows of the log (a read-only connection beside the
/// writer's; WAL lets both run), compares them with the reference loaded once at start, and keeps the latest report for
/// /metrics (<see cref="DriftAlerts.Prometheus"/>). A check that fails (too few rows, an unreadable file) keeps the
/// previous report and counts the failure. The same check is <c>quill monitor watch</c>'s.
/// </summary>
internal sealed class DriftMonitor : IDisposable
{
    private readonly RequestLogOptions _options;
    private readonly Sample _reference;
    private readonly DriftDetector _detector;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private DriftReport? _latest;
    private long _checks, _failures;

    public DriftMonitor(RequestLogOptions options, Func<ITextEmbedder> embedder)
    {
        _options = options;
        _reference = SampleReader.Read(options.DriftReference!);
        _detector = new DriftDetector(embedder);
        _loop = Task.Run(LoopAsync);
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(_options.DriftIntervalSeconds));
        try
        {
            do
            {
                try
                {
                    Sample window = SampleReader.ReadLogTail(_options.Path, _options.DriftWindow);
                    if (window.RowCount >= 2)
                    {
                        var columns = DriftDetector.InferColumns(_reference, window, sharedOnly: true);
                        Volatile.Write(ref _latest, _detector.Compare(_reference, window, columns));
                        Interlocked.Increment(ref _checks);
                    }
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref _failures); // the next tick tries again; the server must not notice
                }
            }
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The latest drift gauges, and the check counters.</summary>
    public string RenderMetrics()
    {
        string checks = "# HELP quill_drift_checks_total Drift checks completed\n# TYPE quill_drift_checks_total counter\nquill_drift_checks_total " +
            Interlocked.Read(ref _checks) + "\n# HELP quill_drift_check_failures_total Drift checks that failed\n" +
            "# TYPE quill_drift_check_failures_total counter\nquill_drift_check_failures_total " + Interlocked.Read(ref _failures) + "\n";
        return Volatile.Read(ref _latest) is { } report ? checks + DriftAlerts.Prometheus(report) : checks;
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _loop.Wait(TimeSpan.FromSeconds(10)); }
        catch (AggregateException) { }
        _detector.Dispose();
        _stop.Dispose();
    }
}
