// A one-line progress bar on stderr for long steps (loading, writing); silent when stderr is not a terminal.
namespace Quill.Cli.Commands;

internal sealed class ConsoleProgress(string label) : IProgress<double>, IDisposable
{
    private const int Width = 30;
    private readonly bool _enabled = !Console.IsErrorRedirected;
    private int _shown = -1;

    public void Report(double value)
    {
        if (!_enabled) return;
        int percent = (int)Math.Clamp(value * 100, 0, 100);
        if (percent == _shown) return;
        _shown = percent;
        int filled = percent * Width / 100;
        Console.Error.Write($"\r{label} [{new string('#', filled)}{new string(' ', Width - filled)}] {percent,3}%");
    }

    public void Dispose()
    {
        if (_enabled && _shown >= 0) Console.Error.Write("\r" + new string(' ', label.Length + Width + 8) + "\r");
    }
}
