// Decoding throughput of many sequences sharing each forward pass against one sequence alone, in the same run; the pp/tg benchmark is ThroughputBenchmark.
using System.Diagnostics;
using Quill.Models;

namespace Quill.Benchmarking;

/// <summary>
/// Tokens per second summed over <see cref="Sequences"/> streams: prompt processing (each sequence's prompt, one
/// after another) and decoding (every sequence one token per step, all in one step), beside decoding one sequence
/// alone through the same batched state.
/// </summary>
public sealed record ParallelThroughputResult(
    int Sequences,
    int PromptTokens,
    int GeneratedTokens,
    double PromptTokensPerSecond,
    double GenerationTokensPerSecond,
    double SingleGenerationTokensPerSecond,
    long PeakResidentBytes)
{
    /// <summary>How many times one stream's decoding throughput the streams give together.</summary>
    public double Speedup => SingleGenerationTokensPerSecond > 0 ? GenerationTokensPerSecond / SingleGenerationTokensPerSecond : 0;

    /// <summary>Bytes of the batched state's KV cache, every slot (0 when the state does not say).</summary>
    public long KvCacheBytes { get; init; }
}

public static class ParallelThroughputBenchmark
{
    /// <summary>
    /// Prefills <paramref name="sequences"/> slots with <paramref name="promptTokens"/> pseudo-random ids each, then
    /// decodes <paramref name="generateTokens"/> steps of one token per sequence; then the same with one sequence. The
    /// best of <paramref name="repetitions"/> runs is reported for each figure, after a short warm-up.
    /// </summary>
    public static ParallelThroughputResult Run(ICausalModel model, int sequences, int promptTokens, int generateTokens, int repetitions = 3)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequences);
        var random = new Random(1234);
        var ids = new int[Math.Max(promptTokens, 1) + generateTokens + sequences];
        for (int i = 0; i < ids.Length; i++) ids[i] = random.Next(model.VocabSize);
        using var state = model.CreateBatchedState(sequences, promptTokens + generateTokens + 1);
        var logits = new float[sequences * model.VocabSize];
        var steps = new BatchSequence[sequences];
        var tokens = new int[sequences];

        Decode(state, 1, 2, ids, steps, tokens, logits); // warm-up: JIT, page faults, thread start
        double pp = 0, tg = 0, single = 0;
        for (int r = 0; r < repetitions; r++)
        {
            for (int s = 0; s < sequences; s++) state.Truncate(s, 0);
            long start = Stopwatch.GetTimestamp();
            Prefill(state, sequences, promptTokens, ids, logits);
            if (promptTokens > 0) pp = Math.Max(pp, (double)sequences * promptTokens / Stopwatch.GetElapsedTime(start).TotalSeconds);
            if (generateTokens == 0) continue;

            start = Stopwatch.GetTimestamp();
            Decode(state, sequences, generateTokens, ids, steps, tokens, logits);
            tg = Math.Max(tg, (double)sequences * generateTokens / Stopwatch.GetElapsedTime(start).TotalSeconds);

            for (int s = 0; s < sequences; s++) state.Truncate(s, promptTokens);
            start = Stopwatch.GetTimestamp();
            Decode(state, 1, generateTokens, ids, steps, tokens, logits);
            single = Math.Max(single, generateTokens / Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return new ParallelThroughputResult(sequences, promptTokens, generateTokens, pp, tg, single, ThroughputBenchmark.PeakResidentBytes())
        {
            KvCacheBytes = state.KvCacheBytes,
        };
    }

    private static void Prefill(IBatchedInferenceState state, int sequences, int promptTokens, int[] ids, float[] logits)
    {
        for (int s = 0; s < sequences; s++)
            for (int done = 0; done < promptTokens;)
            {
                int n = Math.Min(state.MaxStepTokens, promptTokens - done);
                state.Decode([new BatchSequence(s, 0, n)], ids.AsSpan(done, n), logits);
                done += n;
            }
    }

    /// <summary>Decodes <paramref name="count"/> steps of one token in each of slots [0, <paramref name="sequences"/>).</summary>
    private static void Decode(IBatchedInferenceState state, int sequences, int count, int[] ids, BatchSequence[] steps, int[] tokens, float[] logits)
    {
        for (int s = 0; s < sequences; s++) steps[s] = new BatchSequence(s, s, 1);
        for (int i = 0; i < count; i++)
        {
            for (int s = 0; s < sequences; s++) tokens[s] = ids[(i + s) % ids.Length];
            state.Decode(steps.AsSpan(0, sequences), tokens.AsSpan(0, sequences), logits);
        }
    }
}
