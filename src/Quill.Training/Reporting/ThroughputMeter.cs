// Tokens per second and time left over a moving window of recent steps; not a clock (callers pass each step's measured seconds).
namespace Quill.Training.Reporting;

public sealed class ThroughputMeter
{
    private readonly long[] _tokens;
    private readonly double[] _seconds;
    private int _count;
    private int _next;

    /// <param name="window">How many of the most recent steps the rates average over.</param>
    public ThroughputMeter(int window = 20)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        _tokens = new long[window];
        _seconds = new double[window];
    }

    public int Window => _tokens.Length;

    /// <summary>Records one step that processed <paramref name="stepTokens"/> tokens in <paramref name="stepSeconds"/> seconds.</summary>
    public void Add(long stepTokens, double stepSeconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepTokens);
        if (!(stepSeconds >= 0) || double.IsInfinity(stepSeconds))
            throw new ArgumentOutOfRangeException(nameof(stepSeconds), stepSeconds, "expected a finite, non-negative duration");
        _tokens[_next] = stepTokens;
        _seconds[_next] = stepSeconds;
        _next = (_next + 1) % _tokens.Length;
        _count = Math.Min(_count + 1, _tokens.Length);
    }

    /// <summary>Tokens over seconds across the window (total, not a mean of per-step rates); 0 before any timed step.</summary>
    public double TokensPerSecond
    {
        get
        {
            double time = WindowSeconds();
            long total = 0;
            for (int i = 0; i < _count; i++) total += _tokens[i];
            return time > 0 ? total / time : 0;
        }
    }

    /// <summary>Mean seconds per step across the window; 0 before any step.</summary>
    public double SecondsPerStep => _count == 0 ? 0 : WindowSeconds() / _count;

    /// <summary>Time for <paramref name="stepsLeft"/> more steps at the window's pace; null before any step.</summary>
    public TimeSpan? EstimateRemaining(long stepsLeft) =>
        _count == 0 ? null : TimeSpan.FromSeconds(Math.Max(0, stepsLeft) * SecondsPerStep);

    /// <summary>A short duration for progress lines: "45s", "3m 05s", "2h 07m", "3d 04h".</summary>
    public static string Format(TimeSpan duration)
    {
        long total = (long)Math.Round(Math.Max(0, duration.TotalSeconds));
        if (total < 60) return $"{total}s";
        if (total < 3600) return $"{total / 60}m {total % 60:D2}s";
        if (total < 86400) return $"{total / 3600}h {total % 3600 / 60:D2}m";
        return $"{total / 86400}d {total % 86400 / 3600:D2}h";
    }

    private double WindowSeconds()
    {
        double sum = 0;
        for (int i = 0; i < _count; i++) sum += _seconds[i];
        return sum;
    }
}
