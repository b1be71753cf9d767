// The training loop: resume is bit-identical, accumulation equals a big batch, NaN stops before the weights change.
using Quill.Training.Data;
using Quill.Training.Model;
using Quill.Training.Runs;
using Quill.Training.Tests.Model;

namespace Quill.Training.Tests.Runs;

public class TrainingLoopTests
{
    private const float AccumulationTolerance = 1e-5f;

    private sealed class ListDataset(IReadOnlyList<TrainingExample> examples) : ITrainingDataset
    {
        public string Source => "test examples";
        public int Count => examples.Count;
        public TrainingExample this[int index] => examples[index];
        public int LengthOf(int index) => examples[index].Length;
    }

    private static ListDataset RandomExamples(int count, int minLength, int maxLength, int seed)
    {
        var rng = new Random(seed);
        var list = new List<TrainingExample>();
        for (int i = 0; i < count; i++)
        {
            int n = rng.Next(minLength, maxLength + 1);
            var tokens = Enumerable.Range(0, n + 1).Select(_ => rng.Next(1, 11)).ToArray();
            list.Add(new TrainingExample(tokens[..n], tokens[1..]));
        }
        return new ListDataset(list);
    }

    private static (LlamaTrainingModel Model, TrainingLoop Loop) Make(ITrainingDataset data, TrainingLoopOptions options)
    {
        var model = new LlamaTrainingModel(TinyLlamaConfigs.Make(vocab: 11, dim: 16, layers: 2, heads: 2, kvHeads: 1, ffn: 24, context: 16));
        model.InitializeRandom(5);
        var objective = new LanguageModelObjective(model, data, RandomExamples(4, 3, 8, 99), padId: 0);
        return (model, new TrainingLoop(objective, options));
    }

    private static float[][] Weights(LlamaTrainingModel model) => [.. model.Parameters.Parameters.Select(p => (float[])p.Value.Clone())];

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 2)]
    public void StoppedAndResumedRunIsBitIdentical(bool uniformLength, int accumulation)
    {
        var data = RandomExamples(10, 3, 12, 1);
        var options = new TrainingLoopOptions
        {
            Steps = 9, BatchSize = 3, GradientAccumulation = accumulation, WarmupSteps = 2,
            UniformLengthBatches = uniformLength, LearningRate = 3e-3f
        };
        var (straight, loop) = Make(data, options);
        while (!loop.IsFinished) loop.RunStep();

        var (first, firstLoop) = Make(data, options);
        for (int i = 0; i < 4; i++) firstLoop.RunStep();
        var saved = new MemoryStream();
        firstLoop.SaveState(saved);
        firstLoop.RunStep(); // work after the checkpoint is lost, as when a run is killed

        var (resumed, resumedLoop) = Make(data, options);
        saved.Position = 0;
        resumedLoop.LoadState(saved, "state");
        Assert.Equal(4, resumedLoop.Position.Step);
        while (!resumedLoop.IsFinished) resumedLoop.RunStep();

        var expected = Weights(straight);
        var actual = Weights(resumed);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]);
        Assert.Equal(loop.Optimizer.StepCount, resumedLoop.Optimizer.StepCount);
    }

    [Fact]
    public void AccumulatingTwoHalfBatchesEqualsOneBatch()
    {
        var data = RandomExamples(8, 6, 6, 2); // equal lengths: the mean of the two means is the mean of all
        var (big, bigLoop) = Make(data, new TrainingLoopOptions { Steps = 3, BatchSize = 4, WarmupSteps = 0 });
        var (small, smallLoop) = Make(data, new TrainingLoopOptions { Steps = 3, BatchSize = 2, GradientAccumulation = 2, WarmupSteps = 0 });
        for (int s = 0; s < 3; s++)
        {
            var a = bigLoop.RunStep();
            var b = smallLoop.RunStep();
            Assert.Equal(a.Loss, b.Loss, AccumulationTolerance);
            Assert.Equal(a.Tokens, b.Tokens);
        }
        var expected = Weights(big);
        var actual = Weights(small);
        for (int i = 0; i < expected.Length; i++) FiniteDifference.AssertClose(expected[i], actual[i], AccumulationTolerance);
    }

    [Fact]
    public void LossFallsAndValidationIsReported()
    {
        var data = RandomExamples(6, 8, 8, 3);
        var (_, loop) = Make(data, new TrainingLoopOptions { Steps = 60, BatchSize = 6, WarmupSteps = 5, LearningRate = 1e-2f, WeightDecay = 0 });
        float first = loop.RunStep().Loss, last = 0;
        while (!loop.IsFinished) last = loop.RunStep().Loss;
        Assert.True(last < first / 2, $"loss went from {first} to {last}");
        Assert.True(float.IsFinite(loop.Evaluate()));
    }

    private sealed class PoisonedObjective(ITrainingObjective inner, long poisonStep) : ITrainingObjective
    {
        private long _calls;
        public Quill.Training.Optimization.ParameterSet Parameters => inner.Parameters;
        public int TrainingExampleCount => inner.TrainingExampleCount;
        public int ValidationExampleCount => 0;
        public int TrainingLengthOf(int index) => inner.TrainingLengthOf(index);
        public MicroBatchResult Train(ReadOnlySpan<int> indices)
        {
            var r = inner.Train(indices);
            return ++_calls == poisonStep ? r with { Loss = float.NaN } : r;
        }
        public MicroBatchResult Evaluate(ReadOnlySpan<int> indices) => throw new InvalidOperationException();
    }

    [Fact]
    public void NonFiniteLossStopsBeforeTheWeightsChange()
    {
        var data = RandomExamples(6, 4, 4, 4);
        var model = new LlamaTrainingModel(TinyLlamaConfigs.Make(vocab: 11, dim: 16, layers: 1, heads: 2, kvHeads: 1, ffn: 24, context: 16));
        model.InitializeRandom(1);
        var loop = new TrainingLoop(new PoisonedObjective(new LanguageModelObjective(model, data, null, 0), 3),
            new TrainingLoopOptions { Steps = 5, BatchSize = 2 });
        loop.RunStep();
        loop.RunStep();
        var before = Weights(model);
        var e = Assert.Throws<NonFiniteLossException>(() => loop.RunStep());
        Assert.Equal(3, e.Step);
        Assert.Contains("NaN", e.Message);
        var after = Weights(model);
        for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], after[i]);
    }

    [Fact]
    public void MismatchedStateIsRefusedWithOneLine()
    {
        var data = RandomExamples(6, 4, 4, 4);
        var (_, loop) = Make(data, new TrainingLoopOptions { Steps = 2, BatchSize = 2 });
        var saved = new MemoryStream();
        loop.SaveState(saved);
        var other = new LlamaTrainingModel(TinyLlamaConfigs.Make(vocab: 11, dim: 16, layers: 1, heads: 2, kvHeads: 1, ffn: 24, context: 16));
        var otherLoop = new TrainingLoop(new LanguageModelObjective(other, data, null, 0), new TrainingLoopOptions { Steps = 2, BatchSize = 2 });
        saved.Position = 0;
        var e = Assert.Throws<InvalidDataException>(() => otherLoop.LoadState(saved, "ckpt"));
        Assert.StartsWith("ckpt: expected", e.Message);
        var truncated = new MemoryStream(saved.ToArray()[..100]);
        var e2 = Assert.Throws<InvalidDataException>(() => loop.LoadState(truncated, "ckpt"));
        Assert.Contains("end of the file", e2.Message);
    }
}
