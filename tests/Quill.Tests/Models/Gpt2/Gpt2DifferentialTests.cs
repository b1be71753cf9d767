// Our GPT-2 forward pass against llama.cpp (through LLamaSharp) on the same GGUF files: logits and greedy continuations.
using Quill.Models;
using Quill.Models.Synthetic;
using Quill.Tensors;
using Quill.TestSupport.LlamaCpp;

namespace Quill.Tests.Models.Gpt2;

public class Gpt2DifferentialTests
{
    // Max |ours − llama.cpp| over all logits, relative to the largest |logit|: the tolerances LlamaDifferentialTests uses.
    private const double F32Tolerance = 1e-4;
    private const double HalfTolerance = 5e-3;
    private const double QuantizedTolerance = 2e-2;
    private const int GreedyTokens = 32;

    private static readonly int[] Prompt = [256, 300, 17, 42, 259, 260, 261, 5, 99, 123, 77, 301, 400, 8, 150, 3];

    internal static SyntheticModelOptions Shape(int dim = 64, int heads = 4, int kvHeads = 0, int vocab = 512, int ffn = 256, int layers = 2,
        bool tied = false, int context = 256) =>
        new()
        {
            Architecture = "gpt2", Dim = dim, Layers = layers, Heads = heads, KvHeads = kvHeads > 0 ? kvHeads : heads,
            FeedForwardDim = ffn, VocabSize = vocab, ContextLength = context, TiedEmbeddings = tied,
        };

    internal static SyntheticModelOptions Named(string name) => name switch
    {
        "small" => Shape(),
        "tied" => Shape(tied: true),
        "dim96-vocab301" => Shape(dim: 96, heads: 6, vocab: 301, ffn: 384, layers: 3),
        "dim128-h2" => Shape(dim: 128, heads: 2, ffn: 512),
        "gqa" => Shape(dim: 128, heads: 8, kvHeads: 2, ffn: 256),
        _ => throw new ArgumentException(name),
    };

    public static TheoryData<string, GgmlType, double> Files => new()
    {
        { "small", GgmlType.F32, F32Tolerance },
        { "tied", GgmlType.F32, F32Tolerance },
        { "dim96-vocab301", GgmlType.F32, F32Tolerance },
        { "dim128-h2", GgmlType.F32, F32Tolerance },
        { "gqa", GgmlType.F32, F32Tolerance },
        { "small", GgmlType.F16, HalfTolerance },
        { "tied", GgmlType.F16, HalfTolerance },
        { "small", GgmlType.Q8_0, QuantizedTolerance },
        { "tied", GgmlType.Q8_0, QuantizedTolerance },
        { "dim96-vocab301", GgmlType.Q8_0, QuantizedTolerance },
    };

    [Theory, MemberData(nameof(Files))]
    public void LogitsAndGreedyMatchLlamaCpp(string shape, GgmlType type, double tolerance)
    {
        string path = SyntheticModels.Get(Named(shape) with { Type = type });
        Compare(path, tolerance, $"{shape} {type}");
    }

    [Fact]
    public void PromptsLongerThanOneBatchMatchLlamaCpp()
    {
        // 300 tokens: two prompt chunks on our side (Gpt2State.MaxBatch = 256), attention over every earlier position.
        string path = SyntheticModels.Get(Named("small") with { Type = GgmlType.Q8_0, ContextLength = 512 });
        var prompt = Enumerable.Range(0, 300).Select(i => (i * 37 + 5) % 511).ToArray();
        Compare(path, QuantizedTolerance, "small Q8_0 300 tokens", prompt);
    }

    [Fact]
    public void TokenizerMatchesLlamaCpp()
    {
        string path = SyntheticModels.Get(Named("small"));
        using var lm = LanguageModel.Load(path, new LoadOptions { Threads = 1 });
        foreach (string text in (string[])["the cat sat on the mat", "Hello, world!\n  tabs\tand ünïcode ✓", " leading space", "<|endoftext|>x"])
        {
            Assert.Equal(LlamaCppReference.Tokenize(path, text, addSpecial: true, parseSpecial: false), lm.Tokenizer.Encode(text, addSpecial: true));
            Assert.Equal(LlamaCppReference.Tokenize(path, text, addSpecial: true, parseSpecial: true),
                lm.Tokenizer.Encode(text, addSpecial: true, parseSpecial: true));
        }
    }

    private static void Compare(string path, double tolerance, string label, int[]? tokens = null)
    {
        // F32 KV cache, as llama.cpp's reference context keeps one
        using var lm = LanguageModel.Load(path, new LoadOptions { Threads = 2, KvCacheType = KvCacheType.F32 });
        int vocab = lm.Model.VocabSize;
        var prompt = (tokens ?? Prompt).Select(id => id % vocab).ToArray();

        var ours = new float[prompt.Length * vocab];
        using (var state = lm.Model.CreateState(prompt.Length + 1))
            state.AppendAll(prompt, ours);
        var theirs = LlamaCppReference.Logits(path, prompt);

        double maxLogit = 0, maxDiff = 0;
        for (int t = 0; t < prompt.Length; t++)
            for (int v = 0; v < vocab; v++)
            {
                maxLogit = Math.Max(maxLogit, Math.Abs(theirs[t][v]));
                maxDiff = Math.Max(maxDiff, Math.Abs(theirs[t][v] - ours[t * vocab + v]));
            }
        Console.WriteLine($"gpt2 {label}: max |Δlogit| {maxDiff:G4} of max |logit| {maxLogit:G4} = {maxDiff / maxLogit:G3} relative");
        Assert.True(maxDiff <= tolerance * maxLogit, $"{Path.GetFileName(path)}: max |Δlogit| {maxDiff:G4} exceeds {tolerance} × {maxLogit:G4}");

        var expected = LlamaCppReference.Greedy(path, prompt, GreedyTokens);
        var actual = LlamaDifferentialTests.Greedy(lm, prompt, GreedyTokens);
        Assert.Equal(expected, actual);
    }
}
