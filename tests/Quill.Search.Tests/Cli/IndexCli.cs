// Runs `quill index …` in a child process: the CLI's index commands over the hashing embedder (tests/IndexCliChild), or the real CLI.
using System.Diagnostics;
using System.Globalization;

namespace Quill.Search.Tests.Cli;

internal sealed record CliResult(int ExitCode, string Stdout, string Stderr);

internal static class IndexCli
{
    /// <summary>The index commands with <see cref="HashingEmbedder"/>; <paramref name="delayMs"/> slows each embedded batch.</summary>
    public static ProcessStartInfo StartInfo(int delayMs, params string[] args) =>
        StartInfo("IndexCliChild.dll", ["--delay-ms", delayMs.ToString(CultureInfo.InvariantCulture), .. args]);

    /// <summary>The index commands with <see cref="HashingEmbedder"/> (-m hash-N picks its size).</summary>
    public static CliResult Run(params string[] args) => Wait(StartInfo(delayMs: 0, args), args);

    /// <summary>The shipped CLI, with its real embedders.</summary>
    public static CliResult RunQuill(params string[] args) => Wait(StartInfo("Quill.Cli.dll", args), args);

    private static ProcessStartInfo StartInfo(string program, string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, program));
        foreach (string a in args) info.ArgumentList.Add(a);
        return info;
    }

    private static CliResult Wait(ProcessStartInfo info, string[] args)
    {
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"quill {string.Join(' ', args)} did not finish in 120 s");
        }
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}
