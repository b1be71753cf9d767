// Prompt-processing and generation throughput of a decoder, measured as llama-bench does (pp: one batch; tg: one token at a time).
using System.Diagnostics;
using Quill.Models;

namespace Quill.Benchmarking;

/// <summary>
/// Results in tokens per second, plus the process's peak resident memory and the bytes of the state's KV cache; tg ran
/// after <see cref="Depth"/> tokens already in the cache.
/// </summary>
public sealed record ThroughputResult(int PromptTokens, int GeneratedTokens, double PromptTokensPerSecond, double GenerationTokensPerSecond,
    long PeakResidentBytes)
{
    /// <summary>Tokens in the KV cache before the timed generation (llama-bench's -d).</summary>
    public int Depth { get; init; }

    /// <summary>Bytes of the KV cache the benchmark's state held (0 when the state does not say).</summary>
    public long KvCacheBytes { get; init; }
}

public static class ThroughputBenchmark
{
    /// <summary>
    /// Evaluates <paramref name="promptTokens"/> pseudo-random ids in one call (pp), then, on a sequence holding
    /// <paramref name="depth"/> tokens (0: a fresh one), appends <paramref name="generateTokens"/> tokens one at a time (tg).
    /// A short warm-up runs first; the best of <paramref name="repetitions"/> runs is reported, which is the least disturbed
    /// by other load on shared machines.
    /// </summary>
    public static ThroughputResult Run(ICausalModel model, int promptTokens, int generateTokens, int repetitions = 3, int depth = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        var ids = new int[Math.Max(Math.Max(promptTokens, depth), 1)];
        var random = new Random(1234);
        for (int i = 0; i < ids.Length; i++) ids[i] = random.Next(model.VocabSize);
        var logits = new float[model.VocabSize];
        using var state = model.CreateState(Math.Max(promptTokens, depth + generateTokens) + 1);

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
                if (depth > 0) state.Append(ids.AsSpan(0, depth), logits); // untimed: the context tg decodes after
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
        return new ThroughputResult(promptTokens, generateTokens, pp, tg, PeakResidentBytes()) { Depth = depth, KvCacheBytes = state.KvCacheBytes };
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
