// Runs `quill index …` (the built Quill.Cli.dll next to the tests) in a child process with the hashing test embedder.
using System.Diagnostics;

namespace Quill.Search.Tests.Cli;

internal sealed record CliResult(int ExitCode, string Stdout, string Stderr);

internal static class IndexCli
{
    public static ProcessStartInfo StartInfo(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Quill.Cli.dll"));
        foreach (string a in args) info.ArgumentList.Add(a);
        info.Environment["QUILL_TEST_EMBEDDER"] = "hash";
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>()) info.Environment[key] = value;
        return info;
    }

    public static CliResult Run(params string[] args) => RunWith(null, args);

    public static CliResult RunWith(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        using var process = Process.Start(StartInfo(environment, args))!;
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
