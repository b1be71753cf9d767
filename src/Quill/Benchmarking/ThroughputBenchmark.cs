// Prompt-processing and generation throughput of a decoder, measured as llama-bench does (pp: one batch; tg: one token at a time).
using System.Diagnostics;
using Quill.Models;

namespace Quill.Benchmarking;

/// <summary>Results in tokens per second, plus the process's peak resident memory.</summary>
public sealed record ThroughputResult(int PromptTokens, int GeneratedTokens, double PromptTokensPerSecond, double GenerationTokensPerSecond,
    long PeakResidentBytes);

public static class ThroughputBenchmark
{
    /// <summary>
    /// Evaluates <paramref name="promptTokens"/> pseudo-random ids in one call (pp), then, on a fresh sequence, appends
    /// <paramref name="generateTokens"/> tokens one at a time (tg). A short warm-up runs first; the best of
    /// <paramref name="repetitions"/> runs is reported, which is the least disturbed by other load on shared machines.
    /// </summary>
    public static ThroughputResult Run(ICausalModel model, int promptTokens, int generateTokens, int repetitions = 3)
    {
        var ids = new int[Math.Max(promptTokens, 1)];
        var random = new Random(1234);
        for (int i = 0; i < ids.Length; i++) ids[i] = random.Next(model.VocabSize);
        var logits = new float[model.VocabSize];
        using var state = model.CreateState(Math.Max(promptTokens, generateTokens) + 1);

        state.Append(ids.AsSpan(0, Math.Min(8, ids.Length)), logits); // warm-up: JIT, page faults, thread start
        double pp = 0, tg = 0;
        for (int r = 0; r < repetitions; r++)
        {
            if (promptTokens > 0)
            {
                state.Truncate(0);
                long start = Stopwatch.GetTimestamp();
                state.Append(ids.AsSpan(0, promptTokens), logits);
                pp = Math.Max(pp, promptTokens / Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
            if (generateTokens > 0)
            {
                state.Truncate(0);
                int token = ids[0];
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < generateTokens; i++)
                {
                    state.Append([token], logits);
                    token = ids[(i + 1) % ids.Length];
                }
                tg = Math.Max(tg, generateTokens / Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
        }
        return new ThroughputResult(promptTokens, generateTokens, pp, tg, PeakResidentBytes());
    }

    /// <summary>VmHWM from /proc/self/status on Linux; the managed working set elsewhere.</summary>
    public static long PeakResidentBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim()) * 1024;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return Environment.WorkingSet;
    }
}
