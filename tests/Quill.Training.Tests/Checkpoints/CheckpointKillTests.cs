// A real kill -9 mid-save: a child process saving large checkpoints is killed at random moments; the latest checkpoint still verifies.
using System.Diagnostics;
using System.Reflection;
using Quill.Training.Checkpoints;

namespace Quill.Training.Tests.Checkpoints;

public sealed class CheckpointKillTests : IDisposable
{
    private const int Rounds = 4;
    private const int PayloadMebibytes = 48;
    private const int KeepLast = 2;
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(120);
    private readonly string _folder = Directory.CreateTempSubdirectory("quill-ckpt-kill-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // Must match CheckpointKillChild's Program.cs.
    private static byte Pattern(long step, int mebibyte) => (byte)((step * 7 + mebibyte) % 251);

    private static string ChildPath()
    {
        string path = typeof(CheckpointKillTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "CheckpointKillChild").Value!;
        Assert.True(File.Exists(path), $"{path}: the child is built with this test project (tests/CheckpointKillChild); build it first");
        return path;
    }

    [Fact]
    public void KillDuringSaveLeavesTheLatestCheckpointWhole()
    {
        string child = ChildPath();
        var random = new Random();
        int killedMidWrite = 0;
        for (int round = 0; round < Rounds; round++)
        {
            var (lastSaved, leftovers, delay) = RunAndKill(child, random);
            if (leftovers > 0) killedMidWrite++;

            var skipped = new List<string>();
            var store = new CheckpointStore(_folder, KeepLast, skipped.Add);
            Assert.True(store.TryOpenLatest(out long step, out var payload), $"round {round}: no checkpoint verifies after a kill {delay} ms into a save");
            using (payload)
            {
                Assert.True(step >= lastSaved, $"round {round}: latest {step} is older than the announced {lastSaved}");
                Assert.Equal((long)PayloadMebibytes << 20, payload.Length);
                var sample = new byte[4096];
                foreach (int mebibyte in new[] { 0, PayloadMebibytes / 2, PayloadMebibytes - 1 })
                {
                    payload.Position = (long)mebibyte << 20;
                    payload.ReadExactly(sample);
                    Assert.All(sample, b => Assert.Equal(Pattern(step, mebibyte), b));
                }
            }
            Assert.Empty(skipped);
            Assert.Empty(Directory.GetFiles(_folder, "*.tmp"));
        }
        Assert.True(killedMidWrite > 0, $"none of {Rounds} kills landed inside a save (no temporary file was left)");
    }

    // Starts the child, waits for one completed save, then kills it a random moment into the next one.
    private (long LastSaved, int Leftovers, int DelayMs) RunAndKill(string child, Random random)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { child, _folder, PayloadMebibytes.ToString(), KeepLast.ToString() }) start.ArgumentList.Add(argument);
        using var process = new Process { StartInfo = start };
        using var lines = new System.Collections.Concurrent.BlockingCollection<(string Line, long Ticks)>();
        long lastSaved = 0;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            if (e.Data.StartsWith("saved ")) Interlocked.Exchange(ref lastSaved, long.Parse(e.Data.AsSpan("saved ".Length)));
            lines.Add((e.Data, Stopwatch.GetTimestamp()));
        };
        process.Start();
        process.BeginOutputReadLine();
        try
        {
            long begin = 0, saveTicks = 0;
            while (saveTicks == 0)
            {
                Assert.True(lines.TryTake(out var entry, ChildTimeout), "the child announced no completed save");
                if (entry.Line.StartsWith("begin ")) begin = entry.Ticks;
                else if (entry.Line.StartsWith("saved ") && begin != 0) saveTicks = entry.Ticks - begin;
            }
            while (true)
            {
                Assert.True(lines.TryTake(out var entry, ChildTimeout), "the child did not begin another save");
                if (entry.Line.StartsWith("begin ")) break;
            }
            int saveMs = (int)Math.Max(1, saveTicks * 1000 / Stopwatch.Frequency);
            int delay = random.Next(0, Math.Max(1, saveMs * 9 / 10));
            Thread.Sleep(delay);
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (Interlocked.Read(ref lastSaved), Directory.GetFiles(_folder, "*.tmp").Length, delay);
        }
        finally
        {
            if (!process.HasExited) { process.Kill(entireProcessTree: true); process.WaitForExit(); }
        }
    }
}
