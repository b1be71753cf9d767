// The whole training model: gradients against finite differences, overfitting a few sequences, LoRA freezing; not speed.
using Quill.Training.Data;
using Quill.Training.Layers;
using Quill.Training.Model;
using Quill.Training.Optimization;
using static Quill.Training.Tests.FiniteDifference;

namespace Quill.Training.Tests.Model;

public class LlamaTrainingModelTests
{
    private const float ModelStep = 1e-2f;
    private const float OverfitLoss = 0.05f;

    /// <summary>Two rows, the second padded after 3 tokens, with one ignored target inside the first.</summary>
    private static Batch PaddedBatch() => new(2, 5,
        [1, 4, 6, 2, 9, 3, 0, 5, 0, 0],
        [4, 6, CrossEntropy.IgnoreIndex, 9, 10, 0, 5, 7, CrossEntropy.IgnoreIndex, CrossEntropy.IgnoreIndex],
        [5, 3]);

    private static LlamaTrainingModel RandomModel(int seed)
    {
        var model = new LlamaTrainingModel(TinyLlamaConfigs.Make());
        var rng = new Random(seed);
        foreach (var p in model.Parameters.Parameters) RandomValues(rng, p.Length, 0.7f).CopyTo(p.Value, 0);
        return model;
    }

    private static double LossInDouble(LlamaTrainingModel model, Batch batch)
    {
        var logits = model.ForwardLogits(batch);
        int vocab = model.Config.VocabSize;
        double total = 0;
        int counted = 0;
        for (int t = 0; t < batch.Targets.Length; t++)
        {
            int target = batch.Targets[t];
            if (target == CrossEntropy.IgnoreIndex) continue;
            var row = logits.Slice(t * vocab, vocab);
            double max = double.NegativeInfinity, sum = 0;
            foreach (float v in row) max = Math.Max(max, v);
            foreach (float v in row) sum += Math.Exp(v - max);
            total += Math.Log(sum) + max - row[target];
            counted++;
        }
        return total / counted;
    }

    public static TheoryData<string> TensorNames() =>
    [
        "token_embd.weight", "blk.0.attn_norm.weight", "blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.attn_v.weight",
        "blk.1.attn_output.weight", "blk.1.ffn_norm.weight", "blk.1.ffn_gate.weight", "blk.0.ffn_up.weight",
        "blk.1.ffn_down.weight", "output_norm.weight", "output.weight",
    ];

    [Theory]
    [MemberData(nameof(TensorNames))]
    public void WholeModelGradientMatchesFiniteDifferences(string tensor)
    {
        var model = RandomModel(7);
        var batch = PaddedBatch();
        float loss = model.Forward(batch);
        Assert.Equal(LossInDouble(model, batch), loss, 1e-4);
        model.Forward(batch);
        model.Parameters.ZeroGrad();
        model.Backward();
        var p = model.Parameters.Parameters.Single(x => x.Name == tensor);
        AssertGradient(tensor, p.Value, p.Grad, () => LossInDouble(model, batch), ModelStep);
    }

    [Fact]
    public void PaddingDoesNotChangeTheRealRowsLossOrGradient()
    {
        var padded = PaddedBatch();
        var alone = new Batch(1, 3, [3, 0, 5], [0, 5, 7], [3]);
        var targetsFirstRowIgnored = (int[])padded.Targets.Clone();
        for (int t = 0; t < 5; t++) targetsFirstRowIgnored[t] = CrossEntropy.IgnoreIndex;
        var onlySecond = padded with { Targets = targetsFirstRowIgnored };

        var a = RandomModel(3);
        float lossAlone = a.Forward(alone);
        a.Backward();
        var b = RandomModel(3);
        float lossPadded = b.Forward(onlySecond);
        b.Backward();
        Assert.Equal(lossAlone, lossPadded, 1e-5f);
        for (int i = 0; i < a.Parameters.Count; i++)
            AssertClose(a.Parameters[i].Grad, b.Parameters[i].Grad, 1e-5f);
    }

    [Fact]
    public void TinyModelOverfitsEightSequences()
    {
        var config = TinyLlamaConfigs.Make(vocab: 16, dim: 32, layers: 2, heads: 4, kvHeads: 2, ffn: 64, context: 16);
        var model = new LlamaTrainingModel(config);
        model.InitializeRandom(1);
        var rng = new Random(5);
        const int rows = 8, length = 12;
        var tokens = new int[rows * (length + 1)];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = rng.Next(16);
        var inputs = new int[rows * length];
        var targets = new int[rows * length];
        for (int r = 0; r < rows; r++)
            for (int t = 0; t < length; t++)
            {
                inputs[r * length + t] = tokens[r * (length + 1) + t];
                targets[r * length + t] = tokens[r * (length + 1) + t + 1];
            }
        var batch = new Batch(rows, length, inputs, targets, Enumerable.Repeat(length, rows).ToArray());
        var adam = new AdamW(model.Parameters, learningRate: 1e-2f, weightDecay: 0f);
        float first = 0, loss = 0;
        for (int step = 0; step < 300; step++)
        {
            model.Parameters.ZeroGrad();
            loss = model.Forward(batch);
            if (step == 0) first = loss;
            model.Backward();
            adam.Step();
        }
        Assert.True(first > 2f, $"the first loss {first} should be near ln 16");
        Assert.True(loss < OverfitLoss, $"loss after 300 steps is {loss}, expected below {OverfitLoss}");
    }

    [Fact]
    public void LoraTrainsOnlyAdaptersAndStartsAtTheBaseOutput()
    {
        var model = RandomModel(11);
        var batch = PaddedBatch();
        var before = model.ForwardLogits(batch).ToArray();
        var frozen = model.Parameters.Parameters.Select(p => (float[])p.Value.Clone()).ToArray();
        var names = model.Parameters.Parameters.Select(p => p.Name).ToArray();
        model.AttachLora(rank: 2, alpha: 4f, ["q", "v", "down"], seed: 9);
        Assert.Equal(2 * 3 * 2, model.Parameters.Count);
        AssertClose(before, model.ForwardLogits(batch), 0f);

        var adam = new AdamW(model.Parameters, learningRate: 1e-2f);
        for (int step = 0; step < 3; step++)
        {
            model.Parameters.ZeroGrad();
            model.Forward(batch);
            model.Backward();
            adam.Step();
        }
        Assert.NotEqual(before, model.ForwardLogits(batch).ToArray());
        for (int i = 0; i < names.Length; i++)
            Assert.Equal(frozen[i], LlamaTrainingGguf.Tensors(model).Single(t => t.Name == names[i]).Values);
    }

    [Theory]
    [InlineData("q")]
    [InlineData("down")]
    public void LoraGradientMatchesFiniteDifferences(string target)
    {
        var model = RandomModel(13);
        model.AttachLora(rank: 2, alpha: 3f, [target], seed: 2);
        var rng = new Random(4);
        foreach (var p in model.Parameters.Parameters) RandomValues(rng, p.Length, 0.7f).CopyTo(p.Value, 0);
        var batch = PaddedBatch();
        model.Forward(batch);
        model.Parameters.ZeroGrad();
        model.Backward();
        foreach (var p in model.Parameters.Parameters)
            AssertGradient(p.Name, p.Value, p.Grad, () => LossInDouble(model, batch), ModelStep);
    }
}
