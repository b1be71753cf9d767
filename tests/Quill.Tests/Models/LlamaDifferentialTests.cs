// Our Llama forward pass against llama.cpp (through LLamaSharp) on the same GGUF files: logits and greedy continuations.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Models;
using Quill.Models.Synthetic;
using Quill.Tensors;
using Quill.TestSupport.LlamaCpp;

namespace Quill.Tests.Models;

public class LlamaDifferentialTests
{
    // Max |ours − llama.cpp| over all logits, relative to the largest |logit|.
    private const double F32Tolerance = 1e-4;
    // F32 weights over an F16 cache: the F32 dots follow llama.cpp's tinyBLAS order, but the logits still differ from
    // llama.cpp's by a few ulps (3e-7), and the cache's F16 rounding of q, keys, values and probabilities turns a value
    // whose float lands on the other side of an F16 rounding boundary into a 2^-11 difference: up to 1.1e-4 measured on an
    // AVX2 host. Such flips are rare, so the mean |Δlogit| stays small (≤ 5.6e-6 relative measured); leaving out the
    // rounding of q or of the probabilities moved every logit, 4e-5 to 7e-5 on the mean, which the mean bound catches.
    private const double F32HalfCacheTolerance = 1e-3;
    private const double F32HalfCacheMeanTolerance = 2e-5;
    // F16/BF16 weights: llama.cpp rounds the activations to F16 before the dot (we keep F32): ~2^-11 relative per product.
    private const double HalfTolerance = 5e-3;
    // Quantized weights: both sides quantize activations to Q8_0 / Q8_1 / Q8_K blocks the same way, so what remains is
    // float summation order and the F16 rounding llama.cpp applies to some intermediate scales. The legacy block dots
    // (Q4_0..Q8_0) follow ggml-cpu's x86 order bit for bit: a one-ulp difference in one dot can flip the rounding of a
    // later activation quant, which grew to 3e-2 and a different greedy token on Q5_1 before they did.
    private const double QuantizedTolerance = 2e-2;
    private const int GreedyTokens = 32;

    private static readonly int[] Prompt = [1, 300, 17, 42, 259, 260, 261, 5, 99, 123, 77, 301, 400, 8, 150, 3];

    private static SyntheticModelOptions Shape(int dim = 64, int heads = 4, int kvHeads = 4, int vocab = 512, int ffn = 128, string arch = "llama",
        bool tied = false) =>
        new()
        {
            Architecture = arch, Dim = dim, Layers = 2, Heads = heads, KvHeads = kvHeads, FeedForwardDim = ffn, VocabSize = vocab, ContextLength = 256,
            TiedEmbeddings = tied
        };

    /// <summary>
    /// Each file with its tolerance and whether its prompt logits are llama.cpp's bit for bit where both engines run their
    /// AVX-512 code. Not exact: F16 weights (llama.cpp rounds their activations to F16) and dim96-vocab301's F32 output of
    /// 301 rows.
    /// </summary>
    public static TheoryData<string, GgmlType, double, bool> OwnFiles => new()
    {
        { "gqa1", GgmlType.F32, F32Tolerance, true },
        { "gqa4", GgmlType.F32, F32Tolerance, true },
        { "gqa8", GgmlType.F32, F32Tolerance, true },
        { "dim96-vocab301", GgmlType.F32, F32Tolerance, false },
        { "qwen2", GgmlType.F32, F32Tolerance, true },
        { "tied", GgmlType.F32, F32Tolerance, true },
        { "rope-linear-4", GgmlType.F32, F32Tolerance, true },
        { "rope-base-500k", GgmlType.F32, F32Tolerance, true },
        { "qwen2", GgmlType.Q8_0, QuantizedTolerance, true },
        { "gqa4", GgmlType.F16, HalfTolerance, false },
        { "gqa4", GgmlType.Q8_0, QuantizedTolerance, true },
        { "gqa4", GgmlType.Q4_0, QuantizedTolerance, true },
        { "dim96-vocab301", GgmlType.Q8_0, QuantizedTolerance, true },
    };

    /// <summary>True where both engines take their AVX-512 code, so the files marked exact must match bit for bit.</summary>
    private static bool BothRunAvx512 => Avx512BW.IsSupported && Vector512.IsHardwareAccelerated;

    private static SyntheticModelOptions Named(string name) => name switch
    {
        "gqa1" => Shape(heads: 4, kvHeads: 4),
        "gqa4" => Shape(dim: 128, heads: 8, kvHeads: 2, ffn: 256),
        "gqa8" => Shape(dim: 128, heads: 8, kvHeads: 1, ffn: 192),
        "dim96-vocab301" => Shape(dim: 96, heads: 6, kvHeads: 3, vocab: 301, ffn: 160),
        "qwen2" => Shape(dim: 64, heads: 4, kvHeads: 2, arch: "qwen2"),
        "tied" => Shape(tied: true),
        "rope-linear-4" => Shape(dim: 128, heads: 4, kvHeads: 2, ffn: 256) with { RopeLinearScaling = 4f },
        "rope-base-500k" => Shape(dim: 128, heads: 4, kvHeads: 2, ffn: 256) with { RopeFreqBase = 500000f },
        "k256" => Shape(dim: 256, heads: 4, kvHeads: 2, ffn: 512, vocab: 400),
        _ => throw new ArgumentException(name),
    };

    [Theory, MemberData(nameof(OwnFiles))]
    public void LogitsAndGreedyMatchLlamaCppOnOwnFiles(string shape, GgmlType type, double tolerance, bool exact)
    {
        string path = SyntheticModels.Get(Named(shape) with { Type = type });
        Compare(path, tolerance, bitExact: exact && BothRunAvx512);
    }

    /// <summary>
    /// Quill's F16 KV cache against llama.cpp's (type_k = type_v = F16, flash attention off). Where both run their AVX-512
    /// code, the files marked exact give llama.cpp's prompt logits bit for bit: with an F16 cache its prompt's attention
    /// matmuls all take tinyBLAS (as do F32 weights), whose orders Quill follows. Not exact: F16 weights (llama.cpp rounds
    /// their activations to F16) and the 301-row output of dim96-vocab301.
    /// </summary>
    public static TheoryData<string, GgmlType, double, bool> HalfCacheFiles => new()
    {
        { "gqa1", GgmlType.F32, F32HalfCacheTolerance, true },
        { "gqa4", GgmlType.F32, F32HalfCacheTolerance, true },
        { "gqa8", GgmlType.F32, F32HalfCacheTolerance, true },
        { "dim96-vocab301", GgmlType.F32, F32HalfCacheTolerance, false },
        { "qwen2", GgmlType.Q8_0, QuantizedTolerance, true },
        { "gqa4", GgmlType.Q8_0, QuantizedTolerance, true },
        { "gqa4", GgmlType.F16, HalfTolerance, false },
    };

    [Theory, MemberData(nameof(HalfCacheFiles))]
    public void HalfKvCacheMatchesLlamaCppsHalfCache(string shape, GgmlType type, double tolerance, bool exact)
    {
        string path = SyntheticModels.Get(Named(shape) with { Type = type });
        Console.WriteLine($"{shape} {type}:");
        Compare(path, tolerance, kvCache: KvCacheType.F16, meanTolerance: type == GgmlType.F32 ? F32HalfCacheMeanTolerance : double.PositiveInfinity,
            bitExact: exact && BothRunAvx512);
    }

    [Fact]
    public void HalfKvCacheMatchesLlamaCppOnPromptsLongerThanOneBatch() =>
        Compare(LongPromptFile(), QuantizedTolerance, LongPrompt, KvCacheType.F16, bitExact: BothRunAvx512);

    /// <summary>
    /// llama.cpp's quantizer's files, and whether their prompt logits are llama.cpp's bit for bit under AVX-512. Not exact:
    /// the files with Q2_K tensors, which llama.cpp repacks and sums in its repacked GEMM's order (Quill follows the repacked
    /// orders of Q4_0 and Q4_K: Q4_0Avx2.Reference, Q4KBlock.DotPairOrderReference).
    /// </summary>
    public static TheoryData<string, double, bool> QuantizerTypes => new()
    {
        { "Q8_0", QuantizedTolerance, true },
        { "Q4_0", QuantizedTolerance, true },
        { "Q4_1", QuantizedTolerance, true },
        { "Q5_0", QuantizedTolerance, true },
        { "Q5_1", QuantizedTolerance, true },
        { "Q2_K", QuantizedTolerance, false },
        { "Q3_K_M", QuantizedTolerance, true },
        { "Q4_K_M", QuantizedTolerance, true },
        { "Q5_K_M", QuantizedTolerance, true },
        { "Q6_K", QuantizedTolerance, true },
    };

    [Theory, MemberData(nameof(QuantizerTypes))]
    public void LogitsAndGreedyMatchLlamaCppOnItsQuantizedFiles(string llamaCppType, double tolerance, bool exact)
    {
        string path = SyntheticModels.Quantized(Named("k256"), llamaCppType);
        Compare(path, tolerance, bitExact: exact && BothRunAvx512);
    }

    [Fact]
    public void PromptsLongerThanOneBatchMatchLlamaCpp()
    {
        // 300 tokens: two prompt chunks on our side (LlamaState.MaxBatch = 256), attention over every earlier position.
        Compare(LongPromptFile(), QuantizedTolerance, LongPrompt, bitExact: BothRunAvx512);
    }

    private static string LongPromptFile() => SyntheticModels.Get(Named("gqa4") with { Type = GgmlType.Q8_0, ContextLength = 512 });

    private static readonly int[] LongPrompt = Enumerable.Range(0, 300).Select(i => (i * 37 + 5) % 512).ToArray();

    /// <summary>
    /// Quill's logits (T·V, with an F32 or F16 KV cache) against llama.cpp's with the same cache type, then 32 greedy
    /// tokens; max |Δlogit| must stay within tolerance × max |logit|, and the mean |Δlogit| within meanTolerance × max |logit|.
    /// </summary>
    internal static void Compare(string path, double tolerance, int[]? tokens = null, KvCacheType kvCache = KvCacheType.F32,
        double meanTolerance = double.PositiveInfinity, bool bitExact = false)
    {
        using var lm = LanguageModel.Load(path, new LoadOptions { Threads = 2, KvCacheType = kvCache });
        int vocab = lm.Model.VocabSize;
        var prompt = (tokens ?? Prompt).Select(id => id % vocab).ToArray();
        var theirCache = kvCache == KvCacheType.F16 ? LlamaCppKvCache.F16 : LlamaCppKvCache.F32;

        var ours = new float[prompt.Length * vocab];
        using (var state = lm.Model.CreateState(prompt.Length + 1))
            state.AppendAll(prompt, ours);
        var theirs = LlamaCppReference.Logits(path, prompt, kvCache: theirCache);

        double maxLogit = 0, sumDiff = 0;
        var rowDiff = new double[prompt.Length];
        for (int t = 0; t < prompt.Length; t++)
            for (int v = 0; v < vocab; v++)
            {
                double diff = Math.Abs(theirs[t][v] - ours[t * vocab + v]);
                maxLogit = Math.Max(maxLogit, Math.Abs(theirs[t][v]));
                rowDiff[t] = Math.Max(rowDiff[t], diff);
                sumDiff += diff;
            }
        double maxDiff = rowDiff.Max();
        double meanDiff = sumDiff / (prompt.Length * vocab);
        Console.WriteLine($"llama {Path.GetFileName(path)} kv {kvCache}: max |Δlogit| {maxDiff:G4} of max |logit| {maxLogit:G4} = " +
            $"{maxDiff / maxLogit:G3} relative, mean {meanDiff / maxLogit:G3}");
        // Rows parted from llama.cpp's by more than float order (1e-5 of the largest logit), and the first of them: a row of
        // its own is an activation quant rounded the other way; every row from one on, a difference in that row's K or V.
        double partedAbove = 1e-5 * maxLogit;
        Console.WriteLine($"  rows over 1e-5 relative: {rowDiff.Count(d => d > partedAbove)} of {prompt.Length}, " +
            $"the first {Array.FindIndex(rowDiff, d => d > partedAbove)}");
        // The same rows from llama.cpp's single-token graph (ours are the same bits one at a time or batched).
        float[][] steps = LlamaCppReference.Logits(path, prompt, kvCache: theirCache, oneAtATime: true);
        var stepDiff = new double[prompt.Length];
        for (int t = 0; t < prompt.Length; t++)
            for (int v = 0; v < vocab; v++) stepDiff[t] = Math.Max(stepDiff[t], Math.Abs(steps[t][v] - ours[t * vocab + v]));
        Console.WriteLine($"  one token at a time: max |Δlogit| {stepDiff.Max():G4}, rows differing {stepDiff.Count(d => d > 0)}, " +
            $"over 1e-5 relative {stepDiff.Count(d => d > partedAbove)}, the first differing {Array.FindIndex(stepDiff, d => d > 0)}");
        Assert.True(maxDiff <= tolerance * maxLogit, $"{Path.GetFileName(path)}: max |Δlogit| {maxDiff:G4} exceeds {tolerance} × {maxLogit:G4}");
        Assert.True(!bitExact || maxDiff == 0, $"{Path.GetFileName(path)}: prompt logits should be llama.cpp's bit for bit, max |Δlogit| {maxDiff:G4}");
        Assert.True(meanDiff <= meanTolerance * maxLogit, $"{Path.GetFileName(path)}: mean |Δlogit| {meanDiff:G4} exceeds {meanTolerance} × {maxLogit:G4}");

        var expected = LlamaCppReference.Greedy(path, prompt, GreedyTokens, kvCache: theirCache);
        var actual = Greedy(lm, prompt, GreedyTokens);
        int k = 0;
        while (k < Math.Min(expected.Length, actual.Length) && expected[k] == actual[k]) k++;
        if (kvCache == KvCacheType.F32 || k == Math.Max(expected.Length, actual.Length))
        {
            Assert.Equal(expected, actual);
            return;
        }
        // F16 cache: both engines round q, keys, values and probabilities to F16, and a different float order can put one
        // value on the other side of a rounding boundary (2^-11 relative), which quantized activations can carry to the
        // logits. So a greedy run may part at a near-tie: where it does, llama.cpp's own two candidates must lie within the
        // logit tolerance of each other.
        Assert.True(k < expected.Length && k < actual.Length, $"greedy runs of different lengths: {expected.Length} and {actual.Length}");
        float[] at = LlamaCppReference.Logits(path, [.. prompt, .. expected[..k]], kvCache: theirCache)[^1];
        double margin = at[expected[k]] - at[actual[k]];
        Console.WriteLine($"  greedy parts at token {k}: llama.cpp {expected[k]}, quill {actual[k]}, llama.cpp's margin {margin:G3}");
        Assert.True(margin <= tolerance * maxLogit, $"greedy token {k}: llama.cpp {expected[k]}, quill {actual[k]}, llama.cpp's margin {margin:G4} " +
            $"exceeds {tolerance} × {maxLogit:G4}");
    }

    internal static int[] Greedy(LanguageModel lm, int[] prompt, int count)
    {
        using var state = lm.Model.CreateState(prompt.Length + count + 1);
        var logits = new float[lm.Model.VocabSize];
        state.Append(prompt, logits);
        var result = new List<int>();
        for (int i = 0; i < count; i++)
        {
            int best = 0;
            for (int v = 1; v < logits.Length; v++) if (logits[v] > logits[best]) best = v;
            if (lm.Tokenizer.IsEndOfGeneration(best)) break;
            result.Add(best);
            state.Append([best], logits);
        }
        return result.ToArray();
    }
}
