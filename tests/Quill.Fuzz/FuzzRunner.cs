// Runs one input through a target on a watched thread: the outcome is fine, a crash (unexpected exception), a hang, or an oversized allocation.
namespace Quill.Fuzz;

/// <summary>What one run came to; <see cref="Signature"/> groups crashes of one cause (kind, exception type, first frame).</summary>
internal sealed record FuzzOutcome(string Kind, Exception? Error, long AllocatedBytes, TimeSpan Elapsed)
{
    public bool IsCrash => Kind != "ok";

    public string Signature => Error is null ? Kind : $"{Kind} {Error.GetType().Name} {FirstFrame(Error)}";

    private static string FirstFrame(Exception e) =>
        e.StackTrace?.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? "";
}

/// <summary>The rules of a run: wall-clock limit and allocation cap (bytes allocated by the run's thread).</summary>
internal static class FuzzRunner
{
    public static readonly TimeSpan DefaultTimeLimit = TimeSpan.FromSeconds(10);
    public const long DefaultAllocationCap = 1L << 30;

    /// <summary>Runs <paramref name="input"/>; a hang leaves its thread running (the caller should stop the process after saving).</summary>
    public static FuzzOutcome RunOne(FuzzTarget target, byte[] input, TimeSpan? timeLimit = null, long allocationCap = DefaultAllocationCap)
    {
        FuzzOutcome? outcome = null;
        var thread = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Exception? error = null;
            try
            {
                target.Run(input);
            }
            catch (Exception e) when (!target.IsExpected(e))
            {
                error = e;
            }
            catch (Exception)
            {
                // the documented answer to bad input
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            string kind = error is not null ? "crash" : allocated > allocationCap ? "allocation" : "ok";
            outcome = new FuzzOutcome(kind, error, allocated, clock.Elapsed);
        }, maxStackSize: 16 << 20)
        { IsBackground = true };
        thread.Start();
        TimeSpan limit = timeLimit ?? DefaultTimeLimit;
        if (!thread.Join(limit)) return new FuzzOutcome("hang", null, 0, limit);
        return outcome!;
    }

    /// <summary>Every target by name.</summary>
    public static IReadOnlyDictionary<string, Func<FuzzTarget>> Targets { get; } = new Dictionary<string, Func<FuzzTarget>>
    {
        ["gguf"] = () => new GgufTarget(),
        ["safetensors"] = () => new SafetensorsTarget(),
        ["onnx"] = () => new OnnxTarget(),
        ["tokenizer-json"] = () => new TokenizerFileTarget("tokenizer-json", "tokenizer.json", Seeds.TokenizerJson, json: true),
        ["vocab"] = () => new TokenizerFileTarget("vocab", "vocab.txt", Seeds.VocabTxt, json: false),
        ["tiktoken"] = () => new TokenizerFileTarget("tiktoken", "input.tiktoken", Seeds.Tiktoken, json: false),
        ["jinja"] = () => new JinjaTarget(),
        ["json-schema"] = () => new JsonSchemaTarget(),
        ["http"] = () => new HttpTarget(),
    };
}
