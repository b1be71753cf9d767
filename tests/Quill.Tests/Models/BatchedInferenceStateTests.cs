// The native batched states (continuous batching) of Llama-family and GPT-2 models: batch invariance, agreement with
// the single-sequence state, and the checks on a step; not the scheduler that fills the steps (Quill.Server).
using Quill.Models;
using Quill.Models.Gpt2;
using Quill.Models.Llama;
using Quill.Models.Synthetic;
using Quill.Tensors;

namespace Quill.Tests.Models;

public class BatchedInferenceStateTests
{
    // The batched and single-sequence states share one forward pass; they may differ only by float regrouping.
    private const float SingleStateRelativeTolerance = 1e-5f;
    private const int Slots = 3, Context = 64;

    // The default F16 KV cache everywhere, and an F32 one where the name ends in "+kv-f32".
    public static TheoryData<string> Models() => new()
    {
        "llama-f32", "llama-q8_0-gqa", "llama-q4_0-gqa", "qwen2-f32-gqa", "gpt2-f32", "gpt2-q8_0", "llama-q8_0-gqa+kv-f32", "gpt2-f32+kv-f32",
    };

    private const string F32Cache = "+kv-f32";

    private static SyntheticModelOptions OptionsOf(string name) => name.Replace(F32Cache, "") switch
    {
        "llama-f32" => new() { Dim = 64, Layers = 2, Heads = 4, KvHeads = 4, FeedForwardDim = 96, VocabSize = 300, ContextLength = 128 },
        "llama-q8_0-gqa"
            => new()
            {
                Dim = 64, Layers = 2, Heads = 4, KvHeads = 2, FeedForwardDim = 96, VocabSize = 300, ContextLength = 128, Type = GgmlType.Q8_0,
                Seed = 7
            },
        "llama-q4_0-gqa"
            => new()
            {
                Dim = 64, Layers = 2, Heads = 8, KvHeads = 2, FeedForwardDim = 160, VocabSize = 300, ContextLength = 128, Type = GgmlType.Q4_0,
                Seed = 9
            },
        "qwen2-f32-gqa"
            => new()
            {
                Architecture = "qwen2", Dim = 64, Layers = 2, Heads = 4, KvHeads = 2, FeedForwardDim = 96, VocabSize = 300, ContextLength = 128,
                Seed = 11
            },
        "gpt2-f32" => Quill.Tests.Models.Gpt2.Gpt2DifferentialTests.Shape(dim: 64, heads: 4, vocab: 300, ffn: 96, context: 128),
        "gpt2-q8_0"
            => Quill.Tests.Models.Gpt2.Gpt2DifferentialTests.Shape(dim: 64, heads: 4, vocab: 300, ffn: 128, context: 128) with
            {
                Type = GgmlType.Q8_0,
                Seed = 5
            },
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static LanguageModel Load(string name, int threads = 2) =>
        LanguageModel.Load(SyntheticModels.Get(OptionsOf(name)), new LoadOptions
        {
            Threads = threads,
            KvCacheType = name.EndsWith(F32Cache, StringComparison.Ordinal) ? KvCacheType.F32 : KvCacheType.F16,
        });

    private static int[] TokensOf(int sequence, int length) =>
        Enumerable.Range(0, length).Select(i => (i * 37 + sequence * 53 + 11) % 300).ToArray();

    // One entry of a step: sequence `Id` appends its next `Count` tokens in `Slot`.
    private readonly record struct Part(int Id, int Slot, int Count);

    // Sequences 0..2 join, decode beside each other's prompt chunks, and leave; 3 reuses sequence 0's freed slot.
    private static readonly Part[][] Schedule =
    [
        [new(0, 0, 9)],
        [new(0, 0, 1), new(1, 1, 6)],
        [new(1, 1, 1), new(2, 2, 5), new(0, 0, 1)],
        [new(2, 2, 1), new(0, 0, 1), new(1, 1, 1)],
        [new(1, 1, 1), new(2, 2, 1)], // sequence 0 has left; its slot is truncated to 0 before this step
        [new(3, 0, 4), new(2, 2, 1)],
        [new(3, 0, 1), new(1, 1, 1), new(2, 2, 1)],
        [new(2, 2, 3), new(3, 0, 1)],
    ];

    /// <summary>Runs the schedule and returns, per sequence, the logits after each of its parts.</summary>
    private static Dictionary<int, List<float[]>> RunMixed(IBatchedInferenceState state, int vocab)
    {
        var results = new Dictionary<int, List<float[]>>();
        var consumed = new int[4];
        for (int step = 0; step < Schedule.Length; step++)
        {
            if (step == 4) state.Truncate(0, 0);
            var parts = Schedule[step];
            var sequences = new BatchSequence[parts.Length];
            var tokens = new List<int>();
            for (int i = 0; i < parts.Length; i++)
            {
                var p = parts[i];
                sequences[i] = new BatchSequence(p.Slot, tokens.Count, p.Count);
                tokens.AddRange(TokensOf(p.Id, consumed[p.Id] + p.Count).AsSpan(consumed[p.Id], p.Count).ToArray());
                consumed[p.Id] += p.Count;
            }
            var logits = new float[parts.Length * vocab];
            state.Decode(sequences, tokens.ToArray(), logits);
            for (int i = 0; i < parts.Length; i++)
            {
                if (!results.TryGetValue(parts[i].Id, out var list)) results[parts[i].Id] = list = [];
                list.Add(logits.AsSpan(i * vocab, vocab).ToArray());
            }
        }
        return results;
    }

    /// <summary>The parts of one sequence, in order, as its chunk sizes.</summary>
    private static int[] ChunksOf(int id) => Schedule.SelectMany(s => s).Where(p => p.Id == id).Select(p => p.Count).ToArray();

    [Theory, MemberData(nameof(Models))]
    public void MixedStepsEqualEachSequenceAloneBitForBit(string model)
    {
        using var lm = Load(model);
        int vocab = lm.Model.VocabSize;
        Dictionary<int, List<float[]>> mixed;
        using (var state = lm.Model.CreateBatchedState(Slots, Context))
        {
            Assert.IsType(model.StartsWith("gpt2", StringComparison.Ordinal) ? typeof(Gpt2BatchedState) : typeof(LlamaBatchedState), state);
            mixed = RunMixed(state, vocab);
            Assert.Equal(4 + 1 + 1, state.Position(0)); // sequence 3 in the reused slot
        }

        for (int id = 0; id < 4; id++)
        {
            // alone, in a slot of its own choosing (not the one it had), with the same chunks
            using var state = lm.Model.CreateBatchedState(Slots, Context);
            int slot = (id + 1) % Slots, done = 0;
            int[] chunks = ChunksOf(id);
            var tokens = TokensOf(id, chunks.Sum());
            var logits = new float[vocab];
            for (int c = 0; c < chunks.Length; c++)
            {
                state.Decode([new BatchSequence(slot, 0, chunks[c])], tokens.AsSpan(done, chunks[c]), logits);
                done += chunks[c];
                Assert.True(mixed[id][c].AsSpan().SequenceEqual(logits), $"{model}: sequence {id} part {c} differs from the sequence alone");
            }
        }
    }

    [Theory, MemberData(nameof(Models))]
    public void MixedStepsAgreeWithTheSingleSequenceState(string model)
    {
        using var lm = Load(model);
        int vocab = lm.Model.VocabSize;
        Dictionary<int, List<float[]>> mixed;
        using (var state = lm.Model.CreateBatchedState(Slots, Context)) mixed = RunMixed(state, vocab);

        for (int id = 0; id < 4; id++)
        {
            using var single = lm.Model.CreateState(Context);
            int[] chunks = ChunksOf(id);
            var tokens = TokensOf(id, chunks.Sum());
            var logits = new float[vocab];
            for (int c = 0, done = 0; c < chunks.Length; done += chunks[c], c++)
            {
                single.Append(tokens.AsSpan(done, chunks[c]), logits);
                float scale = logits.Max(Math.Abs);
                for (int v = 0; v < vocab; v++)
                    Assert.True(Math.Abs(logits[v] - mixed[id][c][v]) <= SingleStateRelativeTolerance * scale,
                        $"{model}: sequence {id} part {c} logit {v}: single {logits[v]}, batched {mixed[id][c][v]}");
            }
        }
    }

    [Fact]
    public void RowPlacementAndStepSizeDoNotChangeASequence()
    {
        using var lm = Load("llama-q8_0-gqa");
        int vocab = lm.Model.VocabSize;
        const int slots = 16;
        var prompt = TokensOf(5, 6);
        float[] Decode(int others, int position)
        {
            using var state = lm.Model.CreateBatchedState(slots, Context);
            var logits = new float[slots * vocab];
            // every slot gets the same prompt, then one step decodes `others` + 1 sequences with ours at row `position`
            for (int s = 0; s < slots; s++) state.Decode([new BatchSequence(s, 0, prompt.Length)], prompt, logits);
            var sequences = new BatchSequence[others + 1];
            var tokens = new int[others + 1];
            for (int i = 0, other = 1; i <= others; i++)
            {
                bool ours = i == position;
                sequences[i] = new BatchSequence(ours ? 0 : other++, i, 1);
                tokens[i] = ours ? 17 : 100 + i;
            }
            state.Decode(sequences, tokens, logits);
            return logits.AsSpan(position * vocab, vocab).ToArray();
        }
        var alone = Decode(0, 0);
        foreach (var (others, position) in new[] { (3, 0), (3, 3), (7, 7), (15, 4), (15, 15) })
            Assert.True(alone.AsSpan().SequenceEqual(Decode(others, position)), $"{others} others, our row {position}");
    }

    public static TheoryData<string, Type> BadSteps() => new()
    {
        { "slot out of range", typeof(ArgumentOutOfRangeException) },
        { "negative slot", typeof(ArgumentOutOfRangeException) },
        { "slot twice", typeof(ArgumentException) },
        { "too many tokens", typeof(ArgumentException) },
        { "context overflow", typeof(InvalidOperationException) },
        { "token outside vocabulary", typeof(ArgumentOutOfRangeException) },
        { "negative token", typeof(ArgumentOutOfRangeException) },
        { "no tokens", typeof(ArgumentException) },
        { "tokens past the list", typeof(ArgumentException) },
        { "logits too small", typeof(ArgumentException) },
    };

    [Theory, MemberData(nameof(BadSteps))]
    public void BadStepsThrowAndChangeNothing(string error, Type expected)
    {
        using var lm = Load("llama-f32", threads: 1);
        int vocab = lm.Model.VocabSize;
        using var state = lm.Model.CreateBatchedState(Slots, Context);
        var warm = TokensOf(1, 10);
        var logits = new float[Slots * vocab];
        state.Decode([new BatchSequence(0, 0, 10), new BatchSequence(1, 0, 4)], warm, logits);
        var before = new float[2 * vocab];
        using (var twin = lm.Model.CreateBatchedState(Slots, Context))
        {
            twin.Decode([new BatchSequence(0, 0, 10), new BatchSequence(1, 0, 4)], warm, logits);
            twin.Decode([new BatchSequence(0, 0, 1), new BatchSequence(1, 1, 1)], [3, 4], before);
        }

        int many = state.MaxStepTokens + 1;
        (BatchSequence[] sequences, int[] tokens, int logitRows) = error switch
        {
            "slot out of range" => Step([new(0, 0, 1), new(Slots, 1, 1)], [3, 4], 2),
            "negative slot" => Step([new(-1, 0, 1)], [3], 1),
            "slot twice" => Step([new(1, 0, 1), new(1, 1, 1)], [3, 4], 2),
            "too many tokens" => Step([new(2, 0, many)], new int[many], 1),
            "context overflow" => Step([new(1, 0, 1), new(0, 1, Context - 9)], new int[Context - 8], 2),
            "token outside vocabulary" => Step([new(0, 0, 1), new(1, 1, 1)], [3, vocab], 2),
            "negative token" => Step([new(0, 0, 1)], [-1], 1),
            "no tokens" => Step([new(0, 0, 1), new(1, 1, 0)], [3, 4], 2),
            "tokens past the list" => Step([new(0, 0, 1), new(1, 1, 2)], [3, 4], 2),
            "logits too small" => Step([new(0, 0, 1), new(1, 1, 1)], [3, 4], 1),
            _ => throw new ArgumentOutOfRangeException(nameof(error)),
        };
        static (BatchSequence[], int[], int) Step(BatchSequence[] sequences, int[] tokens, int logitRows) => (sequences, tokens, logitRows);
        var ex = Assert.Throws(expected, () => state.Decode(sequences, tokens, new float[logitRows * vocab]));
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Equal(10, state.Position(0));
        Assert.Equal(4, state.Position(1));
        Assert.Equal(0, state.Position(2));

        // the state goes on exactly as an untouched twin does
        var after = new float[2 * vocab];
        state.Decode([new BatchSequence(0, 0, 1), new BatchSequence(1, 1, 1)], [3, 4], after);
        Assert.Equal(before, after);
    }

    [Fact]
    public void SlotArgumentsAreChecked()
    {
        using var lm = Load("llama-f32", threads: 1);
        using var state = lm.Model.CreateBatchedState(Slots, Context);
        Assert.Equal(Slots, state.Slots);
        Assert.Equal(Context, state.ContextLength);
        Assert.True(state.MaxStepTokens >= LlamaState.MaxBatch);
        Assert.Throws<ArgumentOutOfRangeException>(() => state.Position(Slots));
        Assert.Throws<ArgumentOutOfRangeException>(() => state.Truncate(-1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => state.Truncate(0, -1));
        state.Decode([], [], []); // an empty step is allowed and does nothing
        Assert.Equal(0, state.Position(0));
    }

    [Theory]
    [InlineData("llama-q8_0-gqa")]
    [InlineData("gpt2-f32")]
    public void DecodeStepsAllocateNothing(string model)
    {
        using var lm = Load(model, threads: 2);
        using var state = lm.Model.CreateBatchedState(Slots, Context);
        var sequences = new[] { new BatchSequence(0, 0, 5), new BatchSequence(2, 5, 1), new BatchSequence(1, 6, 1) };
        var tokens = TokensOf(3, 7);
        var logits = new float[Slots * lm.Model.VocabSize];
        state.Decode(sequences, tokens, logits); // warm-up: JIT and first-use buffers
        for (int s = 0; s < Slots; s++) state.Truncate(s, 0);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++) state.Decode(sequences, tokens, logits);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Gpt2SlotsAreCappedAtTheLearnedPositions()
    {
        using var lm = Load("gpt2-f32", threads: 1);
        using var state = lm.Model.CreateBatchedState(2, 1000);
        Assert.Equal(128, state.ContextLength);
        Assert.Throws<InvalidOperationException>(() => state.Decode([new BatchSequence(1, 0, 129)], new int[129], new float[lm.Model.VocabSize]));
    }

    [Fact]
    public void TruncateRewindsOneSlotOnly()
    {
        using var lm = Load("llama-f32");
        int vocab = lm.Model.VocabSize;
        var tokens = TokensOf(2, 8);
        var expected = new float[2 * vocab];
        using (var fresh = lm.Model.CreateBatchedState(2, Context))
            fresh.Decode([new BatchSequence(0, 0, 8), new BatchSequence(1, 0, 5)], tokens, expected);

        using var state = lm.Model.CreateBatchedState(2, Context);
        var logits = new float[2 * vocab];
        state.Decode([new BatchSequence(0, 0, 8), new BatchSequence(1, 0, 8)], tokens, logits);
        state.Truncate(1, 3);
        Assert.Equal(8, state.Position(0));
        Assert.Equal(3, state.Position(1));
        var one = new float[vocab];
        state.Decode([new BatchSequence(1, 3, 2)], tokens, one);
        Assert.Equal(expected.AsSpan(vocab, vocab).ToArray(), one);
    }
}
