// Runs tests/oracles/scipy_stats.py under Debian's /usr/bin/python3 (python3-scipy, which ./test installs) on a batch of cases; not a test.
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Quill.Monitoring.Tests.Statistics;

internal static class ScipyOracle
{
    public const string Python = "/usr/bin/python3";

    /// <summary>The results of <paramref name="cases"/> (JSON objects with a "kind"), in order.</summary>
    public static JsonArray Run(JsonArray cases)
    {
        string script = Path.Combine(RepositoryRoot(), "tests", "oracles", "scipy_stats.py");
        var info = new ProcessStartInfo(Python, [script])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{Python} did not start");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(cases.ToJsonString());
        process.StandardInput.Close();
        if (!process.WaitForExit(300_000)) { process.Kill(true); throw new TimeoutException("the SciPy oracle ran over 300 s"); }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"the SciPy oracle failed (is python3-scipy installed? ./test installs it): {stderr.Result}");
        return JsonNode.Parse(stdout.Result)!.AsArray();
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Quill.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("Quill.slnx not found above the test binaries");
    }

    public static JsonArray Numbers(IEnumerable<double> values) => new([.. values.Select(v => JsonValue.Create(v))]);

    public static double Number(JsonNode? node, string name) => node![name]!.GetValueKind() == JsonValueKind.Number
        ? node[name]!.GetValue<double>() : double.Parse(node[name]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
}
