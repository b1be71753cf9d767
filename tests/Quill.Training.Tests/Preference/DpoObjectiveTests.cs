// DpoObjective on tiny models: parameter gradients, ln 2 at the reference, reference caching, a short training run.
using Quill.Models.Llama;
using Quill.Tokenizers.ChatTemplates;
using Quill.Training.Data;
using Quill.Training.Model;
using Quill.Training.Optimization;
using Quill.Training.Preference;
using Quill.Training.Tests.Model;
using static Quill.Training.Tests.FiniteDifference;
using T = Quill.Training.Tests.Data.ChatByteTokenizer;

namespace Quill.Training.Tests.Preference;

public class DpoObjectiveTests
{
    private const float ModelStep = 1e-2f;
    private const double LossTolerance = 1e-5;
    private static readonly LlamaConfig Config = TinyLlamaConfigs.Make(vocab: 260, dim: 8, context: 32);

    private static readonly string[] Lines =
    [
        """{"prompt":"a","chosen":"xy","rejected":"z"}""",
        """{"prompt":"bb","chosen":"y","rejected":"zzz"}""",
        """{"prompt":[{"role":"user","content":"c"}],"chosen":"x","rejected":"zx"}""",
        """{"prompt":"d","chosen":"yx","rejected":"zy"}""",
    ];

    private static PreferenceDataset Pairs(string[]? lines = null) =>
        PreferenceDataset.FromLines(lines ?? Lines[..2], "pairs.jsonl", new T(), ChatTemplate.BuiltIn("chatml"), 32, strict: true);

    private static LlamaTrainingModel RandomModel(int seed, LlamaConfig? config = null)
    {
        var model = new LlamaTrainingModel(config ?? Config);
        var rng = new Random(seed);
        foreach (var p in model.Parameters.Parameters) RandomValues(rng, p.Length, 0.7f).CopyTo(p.Value, 0);
        return model;
    }

    private static LlamaTrainingModel InitializedModel(LlamaConfig config, ulong seed)
    {
        var model = new LlamaTrainingModel(config);
        model.InitializeRandom(seed);
        return model;
    }

    /// <summary>The batch the objective builds: chosen rows, then rejected rows, padded with id 0.</summary>
    private static Batch Collate(PreferenceDataset data, int[] indices) =>
        new DynamicPaddingBatcher(0).Collate([.. indices.Select(i => data[i].Chosen), .. indices.Select(i => data[i].Rejected)]);

    private static double[] SumsInDouble(LlamaTrainingModel model, Batch batch)
    {
        var logits = model.ForwardLogits(batch);
        int vocab = model.Config.VocabSize;
        var sums = new double[batch.BatchSize];
        for (int t = 0; t < batch.Targets.Length; t++)
        {
            int target = batch.Targets[t];
            if (target == TrainingExample.IgnoreIndex) continue;
            var row = logits.Slice(t * vocab, vocab);
            double max = double.NegativeInfinity, total = 0;
            foreach (float v in row) max = Math.Max(max, v);
            foreach (float v in row) total += Math.Exp(v - max);
            sums[t / batch.SequenceLength] += row[target] - max - Math.Log(total);
        }
        return sums;
    }

    private static double DpoInDouble(double[] policy, double[] reference, double beta)
    {
        int n = policy.Length / 2;
        double loss = 0;
        for (int i = 0; i < n; i++)
            loss -= DpoLoss.LogSigmoid(beta * ((policy[i] - reference[i]) - (policy[n + i] - reference[n + i])));
        return loss / n;
    }

    public static TheoryData<string> TensorNames() =>
    [
        "token_embd.weight", "blk.0.attn_q.weight", "blk.0.attn_v.weight", "blk.1.ffn_down.weight", "blk.1.ffn_norm.weight",
        "output_norm.weight", "output.weight",
    ];

    [Theory]
    [MemberData(nameof(TensorNames))]
    public void Parameter_gradient_matches_finite_differences(string tensor)
    {
        PreferenceDataset data = Pairs(Lines);
        var policy = RandomModel(7);
        var reference = RandomModel(8);
        const float beta = 0.5f;
        var objective = new DpoObjective(policy, reference, data, beta: beta);
        int[] indices = [2, 0, 1];
        policy.Parameters.ZeroGrad();
        float loss = objective.Train(indices).Loss;

        Batch batch = Collate(data, indices);
        double[] referenceSums = SumsInDouble(reference, batch);
        Func<double> lossInDouble = () => DpoInDouble(SumsInDouble(policy, batch), referenceSums, beta);
        Assert.Equal(lossInDouble(), loss, LossTolerance);
        var p = policy.Parameters.Parameters.Single(x => x.Name == tensor);
        AssertGradient(tensor, p.Value, p.Grad, lossInDouble, ModelStep);
    }

    [Fact]
    public void Lora_adapter_gradients_match_finite_differences()
    {
        PreferenceDataset data = Pairs(Lines);
        var policy = RandomModel(7);
        policy.AttachLora(rank: 2, alpha: 3f, ["q", "down"], seed: 2);
        var rng = new Random(4);
        foreach (var p in policy.Parameters.Parameters) RandomValues(rng, p.Length, 0.7f).CopyTo(p.Value, 0);
        var reference = RandomModel(7);
        var objective = new DpoObjective(policy, reference, data, beta: 1f);
        int[] indices = [0, 3];
        policy.Parameters.ZeroGrad();
        objective.Train(indices);

        Batch batch = Collate(data, indices);
        double[] referenceSums = SumsInDouble(reference, batch);
        foreach (var p in policy.Parameters.Parameters)
            AssertGradient(p.Name, p.Value, p.Grad, () => DpoInDouble(SumsInDouble(policy, batch), referenceSums, 1.0), ModelStep);
    }

    [Fact]
    public void Loss_is_ln2_when_the_policy_equals_the_reference()
    {
        PreferenceDataset data = Pairs(Lines);
        var objective = new DpoObjective(InitializedModel(Config, 3), InitializedModel(Config, 3), data, validation: data);
        var train = objective.Train([0, 1, 2, 3]);
        Assert.Equal(Math.Log(2), train.Loss, LossTolerance);
        Assert.Equal(0f, objective.LastRewardMargin, 1e-6f);
        Assert.Equal(0f, objective.LastRewardAccuracy);
        Assert.Equal(Enumerable.Range(0, 4).Sum(i => data[i].Chosen.Length + data[i].Rejected.Length), train.Tokens);
        Assert.Equal(Math.Log(2), objective.Evaluate([3, 1]).Loss, LossTolerance);
    }

    [Fact]
    public void Reference_runs_once_per_pair_and_evaluation_leaves_gradients_alone()
    {
        PreferenceDataset data = Pairs(Lines);
        var policy = RandomModel(5);
        var objective = new DpoObjective(policy, RandomModel(6), data, validation: data);
        policy.Parameters.ZeroGrad();
        float first = objective.Train([0, 1]).Loss;
        float again = objective.Train([1, 0]).Loss;
        Assert.Equal(1, objective.ReferenceForwardCount);
        Assert.Equal(first, again, 1e-6f);
        objective.Train([1, 2]);
        Assert.Equal(2, objective.ReferenceForwardCount);

        policy.Parameters.ZeroGrad();
        float evaluated = objective.Evaluate([0, 1]).Loss;
        Assert.Equal(3, objective.ReferenceForwardCount);
        Assert.Equal(first, evaluated, 1e-6f);
        Assert.All(policy.Parameters.Parameters, p => Assert.All(p.Grad, g => Assert.Equal(0f, g)));
    }

    [Fact]
    public void A_model_cannot_be_its_own_reference()
    {
        var model = RandomModel(1);
        Assert.Throws<ArgumentException>(() => new DpoObjective(model, model, Pairs()));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Training_raises_the_margin_to_full_accuracy_and_leaves_the_reference_bit_identical(bool lora)
    {
        var config = TinyLlamaConfigs.Make(vocab: 260, dim: 16, layers: 2, heads: 2, kvHeads: 1, ffn: 32, context: 32);
        PreferenceDataset data = Pairs(Lines);
        // Uniform ±0.7 weights rather than N(0, 0.02): with the tiny head frozen, LoRA could barely move the logits.
        var policy = RandomModel(1, config);
        var reference = RandomModel(1, config);
        if (lora) policy.AttachLora(rank: 4, alpha: 8f, ["q", "v", "o", "up", "down"], seed: 3);
        float[][] referenceWeights = [.. reference.Parameters.Parameters.Select(p => (float[])p.Value.Clone())];
        var objective = new DpoObjective(policy, reference, data, beta: 0.5f);
        var adam = new AdamW(policy.Parameters, learningRate: 1e-2f, weightDecay: 0f);
        int[] all = [0, 1, 2, 3];
        float firstLoss = 0, firstMargin = 0;
        for (int step = 0; step < 40; step++)
        {
            policy.Parameters.ZeroGrad();
            float loss = objective.Train(all).Loss;
            if (step == 0) (firstLoss, firstMargin) = (loss, objective.LastRewardMargin);
            adam.Step();
        }
        objective.Train(all);
        Assert.Equal(Math.Log(2), firstLoss, LossTolerance);
        Assert.True(objective.LastRewardMargin > firstMargin + 1f, $"margin {objective.LastRewardMargin} after training, {firstMargin} before");
        Assert.Equal(1f, objective.LastRewardAccuracy);
        Assert.True(objective.LastStatistics.Loss < 0.3f, $"loss {objective.LastStatistics.Loss}");
        Assert.Equal(1, objective.ReferenceForwardCount);
        for (int i = 0; i < referenceWeights.Length; i++) Assert.Equal(referenceWeights[i], reference.Parameters[i].Value);
        Assert.All(reference.Parameters.Parameters, p => Assert.All(p.Grad, g => Assert.Equal(0f, g)));
    }
}
