// `quill serve` as a person runs it: a child process that prints its URL, answers HTTP, and stops on SIGTERM; and its one-line errors.
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Quill.Models.Synthetic;
using Quill.Tests.Models;

namespace Quill.Tests.Cli;

public class ServeCliTests
{
    private static string Tiny => SyntheticModels.Get(new SyntheticModelOptions { Dim = 64, Layers = 2, Heads = 4, KvHeads = 2, VocabSize = 300 });

    [Fact]
    public Task ServesTheModelUntilTerminated() => Task.Run(ServeAndTerminate); // off xunit's synchronization context

    private static async Task ServeAndTerminate()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { Path.Combine(AppContext.BaseDirectory, "Quill.Cli.dll"), "serve", "-m", Tiny, "--port", "0", "--parallel", "2", "-t",
            "1" })
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stderr = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        try
        {
            string? line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(line is not null, "serve printed nothing: " + stderr);
            var url = System.Text.RegularExpressions.Regex.Match(line!, @"http://127\.0\.0\.1:\d+/").Value;
            Assert.False(string.IsNullOrEmpty(url), line);

            using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(20) };
            JsonElement health = await http.GetFromJsonAsync<JsonElement>("health");
            Assert.Equal("ok", health.GetProperty("status").GetString());
            var body = new { prompt = "hello", max_tokens = 4, temperature = 0 };
            using var response = await http.PostAsJsonAsync("v1/completions", body);
            string json = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, json);
            var completion = JsonDocument.Parse(json).RootElement;
            Assert.Equal("text_completion", completion.GetProperty("object").GetString());
        }
        finally
        {
            if (!process.HasExited) Interrupt(process);
        }
        Assert.True(process.WaitForExit(30_000), "serve did not stop on SIGTERM");
        Assert.Equal(0, process.ExitCode);
    }

    private static void Interrupt(Process process)
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    [Fact]
    public void MissingModelIsOneLineAndExitsNonZero()
    {
        var r = QuillCli.Run("serve", "-m", "/nonexistent/model.gguf", "--port", "0");
        Assert.NotEqual(0, r.ExitCode);
        string error = r.Stderr.Trim();
        Assert.DoesNotContain('\n', error);
        Assert.Contains("/nonexistent/model.gguf", error);
    }

    [Fact]
    public void PortInUseIsOneLineAndExitsNonZero()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var r = QuillCli.Run("serve", "-m", Tiny, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-t", "1");
        Assert.NotEqual(0, r.ExitCode);
        string[] lines = r.Stderr.Trim().Split('\n');
        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), lines[^1]);
    }
}
