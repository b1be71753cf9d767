// Runs the real `quill` CLI (the built Quill.Cli.dll next to the tests) in a child process and captures its output.
using System.Diagnostics;

namespace Quill.Tests.Cli;

internal sealed record CliResult(int ExitCode, string Stdout, string Stderr);

internal static class QuillCli
{
    public static CliResult Run(params string[] args) => RunWithBytes(null, args);

    /// <summary>Runs with <paramref name="stdin"/> piped in as UTF-8 (null: no redirection).</summary>
    public static CliResult RunWithInput(string? stdin, params string[] args) =>
        RunWithBytes(stdin is null ? null : new System.Text.UTF8Encoding(false).GetBytes(stdin), args);

    /// <summary>Runs with raw <paramref name="stdin"/> bytes piped in (null: no redirection).</summary>
    public static CliResult RunWithBytes(byte[]? stdin, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Quill.Cli.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        if (stdin is not null)
        {
            process.StandardInput.BaseStream.Write(stdin);
            process.StandardInput.Close();
        }
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
