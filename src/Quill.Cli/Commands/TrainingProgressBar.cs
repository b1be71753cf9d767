// The one-line progress display of a training run on stderr: step, loss (and distillation's terms), tokens/s and ETA.
using System.Globalization;
using Quill.Training.Reporting;
using Quill.Training.Runs;

namespace Quill.Cli.Commands;

/// <summary>Redraws one line on a terminal; when stderr is redirected, prints a plain line at each evaluation instead.</summary>
internal sealed class TrainingProgressBar : IProgress<TrainingProgress>, IDisposable
{
    private const int Width = 24;
    private readonly bool _terminal = !Console.IsErrorRedirected;
    private int _shownLength;

    public void Report(TrainingProgress p)
    {
        var c = CultureInfo.InvariantCulture;
        string validation = p.ValidationLoss is float v ? string.Create(c, $" val {v:F3}") : "";
        string terms = p.Extra is { } extra && extra.TryGetValue(TrainingRun.KdLossName, out double kd) && extra.TryGetValue(TrainingRun.CeLossName,
            out double ce) ? string.Create(c, $" (kd {kd:F3} ce {ce:F3})") : "";
        string eta = p.Remaining is TimeSpan r ? $" ETA {ThroughputMeter.Format(r)}" : "";
        string text = string.Create(c,
            $"step {p.Step}/{p.TotalSteps} loss {p.Loss:F3}{terms}{validation} lr {p.LearningRate:0.##e0} {p.TokensPerSecond:N0} tok/s{eta}");
        if (_terminal)
        {
            int filled = (int)(Width * p.Step / Math.Max(1, p.TotalSteps));
            string line = $"[{new string('#', filled)}{new string('.', Width - filled)}] {text}";
            Console.Error.Write("\r" + line.PadRight(_shownLength));
            _shownLength = line.Length;
        }
        else if (p.ValidationLoss is not null || p.Step == p.TotalSteps)
        {
            Console.Error.WriteLine(text);
        }
    }

    public void Dispose()
    {
        if (_terminal && _shownLength > 0) Console.Error.WriteLine();
    }
}
