// Runs the shipped CLI (`quill monitor …`, `quill --help`) in a child process and collects its exit code and output; not a test.
using System.Diagnostics;

namespace Quill.Monitoring.Tests.Cli;

internal sealed record CliResult(int ExitCode, string Stdout, string Stderr);

internal static class MonitorCli
{
    public static CliResult Run(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Quill.Cli.dll"));
        foreach (string a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(180_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"quill {string.Join(' ', args)} did not finish in 180 s");
        }
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}
