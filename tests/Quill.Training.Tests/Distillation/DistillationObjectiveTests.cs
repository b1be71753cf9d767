// DistillationObjective on tiny models: alpha 0 trains exactly as plain cross-entropy, parameter gradients, a frozen teacher, evaluation is CE.
using Quill.Models.Llama;
using Quill.Training.Data;
using Quill.Training.Distillation;
using Quill.Training.Model;
using Quill.Training.Runs;
using Quill.Training.Tests.Model;
using static Quill.Training.Tests.FiniteDifference;

namespace Quill.Training.Tests.Distillation;

public class DistillationObjectiveTests
{
    private static readonly LlamaConfig TeacherConfig = TinyLlamaConfigs.Make(vocab: 13, dim: 16, layers: 3, heads: 4, kvHeads: 2, ffn: 24, context: 16);
    private static readonly LlamaConfig StudentConfig = TinyLlamaConfigs.Make(vocab: 13, dim: 8, layers: 1, heads: 2, kvHeads: 1, ffn: 12, context: 16);

    private sealed class Examples(IReadOnlyList<TrainingExample> examples) : ITrainingDataset
    {
        public string Source => "test examples";
        public int Count => examples.Count;
        public TrainingExample this[int index] => examples[index];
        public int LengthOf(int index) => examples[index].Length;
    }

    private static Examples RandomExamples(int count, int seed)
    {
        var rng = new Random(seed);
        var list = new List<TrainingExample>();
        for (int i = 0; i < count; i++)
        {
            int n = rng.Next(3, 12);
            var tokens = Enumerable.Range(0, n + 1).Select(_ => rng.Next(1, 13)).ToArray();
            list.Add(new TrainingExample(tokens[..n], tokens[1..]));
        }
        return new Examples(list);
    }

    private static LlamaTrainingModel Student()
    {
        var model = new LlamaTrainingModel(StudentConfig, new TrainingModelOptions { Threads = 2 });
        model.InitializeRandom(3);
        return model;
    }

    private static TrainingLoopOptions Options => new() { Steps = 6, BatchSize = 3, WarmupSteps = 2, LearningRate = 3e-3f };

    [Fact]
    public void AlphaZeroTrainsExactlyAsCrossEntropy()
    {
        Examples train = RandomExamples(9, 1), validation = RandomExamples(3, 2);
        var teacher = DistillationStudentTests.RandomTeacher(TeacherConfig);
        LlamaTrainingModel plain = Student(), distilled = Student();
        var plainLoop = new TrainingLoop(new LanguageModelObjective(plain, train, validation, padId: 0), Options);
        var distillation = new DistillationObjective(distilled, teacher, train, validation, temperature: 2f, alpha: 0f);
        var distilledLoop = new TrainingLoop(distillation, Options);
        while (!plainLoop.IsFinished)
        {
            var a = plainLoop.RunStep();
            var b = distilledLoop.RunStep();
            Assert.Equal(a.Loss, b.Loss);
            Assert.Equal(a.GradientNorm, b.GradientNorm);
            Assert.Equal(distillation.LastTerms.CeLoss, distillation.LastTerms.Loss, 1e-6);
            Assert.True(distillation.LastTerms.KdLoss > 0);
        }
        for (int i = 0; i < plain.Parameters.Count; i++)
            Assert.True(plain.Parameters[i].Value.AsSpan().SequenceEqual(distilled.Parameters[i].Value), $"{plain.Parameters[i].Name} differs");
        Assert.Equal(plainLoop.Evaluate(), distilledLoop.Evaluate());
    }

    [Fact]
    public void TrainingMovesOnlyTheStudentAndLowersTheKdTerm()
    {
        Examples train = RandomExamples(6, 4);
        var teacher = DistillationStudentTests.RandomTeacher(TeacherConfig);
        var before = teacher.Parameters.Parameters.Select(p => (float[])p.Value.Clone()).ToArray();
        var objective = new DistillationObjective(Student(), teacher, train, temperature: 2f, alpha: 1f);
        var loop = new TrainingLoop(objective, Options with { Steps = 30, LearningRate = 1e-2f, BatchSize = 6 });
        loop.RunStep();
        double first = objective.LastTerms.KdLoss;
        while (!loop.IsFinished) loop.RunStep();
        Assert.True(objective.LastTerms.KdLoss < 0.7 * first, $"KD loss went from {first} to {objective.LastTerms.KdLoss}");
        for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], teacher.Parameters[i].Value);
        Assert.All(teacher.Parameters.Parameters, p => Assert.All(p.Grad, g => Assert.Equal(0f, g)));
    }

    public static TheoryData<string> TensorNames() => ["token_embd.weight", "blk.0.attn_k.weight", "blk.0.ffn_norm.weight", "output.weight"];

    [Theory]
    [MemberData(nameof(TensorNames))]
    public void ParameterGradientsMatchFiniteDifferences(string name)
    {
        Examples train = RandomExamples(2, 5);
        var teacher = DistillationStudentTests.RandomTeacher(TeacherConfig);
        var student = Student();
        var rng = new Random(8);
        foreach (var p in student.Parameters.Parameters) RandomValues(rng, p.Length, 0.6f).CopyTo(p.Value, 0);
        var objective = new DistillationObjective(student, teacher, train, temperature: 2f, alpha: 0.5f);
        int[] both = [0, 1];
        student.Parameters.ZeroGrad();
        objective.Train(both);
        var parameter = student.Parameters.Parameters.Single(p => p.Name == name);
        var analytic = (float[])parameter.Grad.Clone();
        AssertGradient(name, parameter.Value, analytic, () =>
        {
            double loss = objective.Train(both).Loss;
            student.Parameters.ZeroGrad();
            return loss;
        }, step: 1e-2f, tolerance: 2e-2);
    }

    [Fact]
    public void TermMeansCoverTheMicroBatchesSinceTheLastTake()
    {
        Examples train = RandomExamples(4, 6);
        var objective = new DistillationObjective(Student(), DistillationStudentTests.RandomTeacher(TeacherConfig), train, alpha: 0.25f);
        Assert.Null(objective.TakeTermMeans());
        var first = objective.Train([0, 1]);
        var a = objective.LastTerms;
        objective.Train([2, 3]);
        var b = objective.LastTerms;
        var means = objective.TakeTermMeans()!.Value;
        Assert.Equal((a.KdLoss + b.KdLoss) / 2, means.KdLoss, 1e-12);
        Assert.Equal((a.CeLoss + b.CeLoss) / 2, means.CeLoss, 1e-12);
        Assert.Equal(0.25 * a.KdLoss + 0.75 * a.CeLoss, first.Loss, 1e-5);
        Assert.Null(objective.TakeTermMeans());
    }

    [Fact]
    public void RefusesATeacherOfAnotherVocabularyOrTheStudentItself()
    {
        var student = Student();
        var other = DistillationStudentTests.RandomTeacher(TeacherConfig with { VocabSize = 14 });
        var e = Assert.Throws<ArgumentException>(() => new DistillationObjective(student, other, RandomExamples(2, 1)));
        Assert.Contains("expected the teacher's vocabulary of 14 tokens for the student, found 13", e.Message);
        Assert.Throws<ArgumentException>(() => new DistillationObjective(student, student, RandomExamples(2, 1)));
    }
}
