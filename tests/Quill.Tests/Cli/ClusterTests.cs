// Replicas behind HAProxy (deploy/local-cluster.sh) and `quill serve` draining on SIGTERM, as child processes.
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Quill.Models.Synthetic;
using Quill.Tests.Models;

namespace Quill.Tests.Cli;

public sealed class ClusterTests
{
    private static string Model => SyntheticModels.Get(new SyntheticModelOptions { Dim = 64, Layers = 2, Heads = 4, KvHeads = 2, VocabSize = 300 });

    private static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Quill.slnx"))) return dir.FullName;
            }
            throw new InvalidOperationException("no Quill.slnx above the tests");
        }
    }

    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start("kill", [signal, pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    [Fact]
    public Task ServeFinishesRequestsInFlightOnSigtermAndRefusesNewOnes() => Task.Run(async () =>
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { Path.Combine(AppContext.BaseDirectory, "Quill.Cli.dll"), "serve", "-m", Model, "--port", "0", "-t", "1",
            "--drain-seconds", "20" })
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        process.BeginErrorReadLine();
        string? line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        string url = System.Text.RegularExpressions.Regex.Match(line ?? "", @"http://127\.0\.0\.1:\d+/").Value;
        Assert.False(string.IsNullOrEmpty(url), line);
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions")
        {
            Content = JsonContent.Create(new { prompt = "hello", max_tokens = 400, temperature = 0, stream = true }),
        };
        using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        string? first = await reader.ReadLineAsync();
        Assert.StartsWith("data: ", first);
        Signal(process.Id, "-TERM");
        await Task.Delay(300);
        using var late = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => late.GetAsync("health"));
        string rest = await reader.ReadToEndAsync();
        Assert.Contains("data: [DONE]", rest);
        Assert.Matches("\"finish_reason\":\"(length|stop)\"", rest);
        Assert.True(process.WaitForExit(30_000), "serve did not stop after draining");
        Assert.Equal(0, process.ExitCode);
    });

    /// <summary>
    /// Three replicas behind HAProxy; 300 requests, 6 at a time; replica-2 is killed (SIGKILL) a third of the way in.
    /// At most the requests it held fail; started again from its script, it rejoins and serves again.
    /// </summary>
    [Fact]
    public Task AKilledReplicaLosesOnlyWhatItHeldAndRejoins() => Task.Run(async () =>
    {
        string runDir = Directory.CreateTempSubdirectory("quill-cluster-").FullName;
        int port = Quill.TestSupport.LoopbackPort.Free();
        var info = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in new[] { Path.Combine(Root, "deploy", "local-cluster.sh"), "--model", Model, "--port", port.ToString(CultureInfo.InvariantCulture),
            "--replicas", "3", "--run-dir", runDir, "--", "-t", "1", "--parallel", "2" })
            info.ArgumentList.Add(a);
        info.Environment["QUILL_CMD"] = "dotnet " + Path.Combine(AppContext.BaseDirectory, "Quill.Cli.dll");
        using var cluster = Process.Start(info)!;
        var log = new System.Text.StringBuilder();
        cluster.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        cluster.BeginErrorReadLine();
        cluster.BeginOutputReadLine();
        try
        {
            for (int i = 0; i < 600 && !File.Exists(Path.Combine(runDir, "cluster.ready")); i++)
            {
                Assert.False(cluster.HasExited, "local-cluster.sh exited: " + log);
                await Task.Delay(200);
            }
            Assert.True(File.Exists(Path.Combine(runDir, "cluster.ready")), "the cluster did not come up: " + log);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
            int done = 0, failed = 0;
            int victim = int.Parse(File.ReadAllText(Path.Combine(runDir, "replica-2.pid")).Trim(), CultureInfo.InvariantCulture);
            using var gate = new SemaphoreSlim(6);
            var tasks = Enumerable.Range(0, 300).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    var body = new { prompt = $"request {i % 17} says hello", max_tokens = 8, temperature = 0 };
                    using HttpResponseMessage r = await http.PostAsJsonAsync("v1/completions", body);
                    if (!r.IsSuccessStatusCode) Interlocked.Increment(ref failed);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failed);
                }
                finally
                {
                    if (Interlocked.Increment(ref done) == 100) Signal(victim, "-KILL");
                    gate.Release();
                }
            }).ToList();
            await Task.WhenAll(tasks);
            // Six requests are in flight at once, so the killed replica held at most six (HAProxy retries refused connections).
            Assert.True(failed <= 6, $"{failed} of 300 requests failed");

            // Started again on its port, it passes two health checks and takes requests again.
            string script = Path.Combine(runDir, "replica-2.sh");
            using var restarted = Process.Start(new ProcessStartInfo("bash", [script]) { UseShellExecute = false })!;
            string replicaPort = System.Text.RegularExpressions.Regex.Match(File.ReadAllText(script), @"--port (\d+)").Groups[1].Value;
            using var direct = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{replicaPort}/"), Timeout = TimeSpan.FromSeconds(5) };
            for (int i = 0; i < 300; i++)
            {
                try
                {
                    using HttpResponseMessage health = await direct.GetAsync("health");
                    if (health.IsSuccessStatusCode) break;
                }
                catch (HttpRequestException)
                {
                }
                await Task.Delay(200);
            }
            await Task.Delay(3000); // HAProxy's checks: every second, up after two passes
            for (int i = 0; i < 60; i++)
            {
                using HttpResponseMessage r = await http.PostAsJsonAsync("v1/completions", new { prompt = $"rejoin {i}", max_tokens = 2 });
                Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
            }
            string metrics = await direct.GetStringAsync("metrics");
            Assert.Matches("quill_requests_total\\{route=\"/v1/completions\",status=\"200\"\\} [1-9]", metrics);
            Signal(restarted.Id, "-TERM");
            Assert.True(restarted.WaitForExit(30_000), "the restarted replica did not stop on SIGTERM");
        }
        finally
        {
            Signal(cluster.Id, "-TERM");
            Assert.True(cluster.WaitForExit(60_000), "local-cluster.sh did not stop on SIGTERM");
            foreach (string pidFile in Directory.GetFiles(runDir, "*.pid"))
            {
                int pid = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
                Assert.False(IsAlive(pid), $"{Path.GetFileName(pidFile)}: process {pid} still runs after the cluster stopped");
            }
            Directory.Delete(runDir, recursive: true);
        }
    });

    private static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
