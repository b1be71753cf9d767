// Distillation loss: value and student-logit gradient against a scalar double reference and finite differences; alpha 0 is cross-entropy bit for bit.
using Quill.Tensors.Threading;
using Quill.Training.Distillation;
using Quill.Training.Layers;
using static Quill.Training.Tests.FiniteDifference;

namespace Quill.Training.Tests.Distillation;

public class DistillationLossTests
{
    private const double LossTolerance = 1e-5;
    private const float GradientTolerance = 2e-6f;
    private const int Ignored = CrossEntropy.IgnoreIndex;

    /// <summary>
    /// The loss from its definition, term by term in double: alpha·T²·mean KL(softmax(z_t/T) ‖ softmax(z_s/T)) +
    /// (1 − alpha)·mean −log softmax(z_s)[target], over the rows whose target is not ignored; and its gradient by hand.
    /// </summary>
    private static (double Loss, double Kd, double Ce, double[] Gradient) Reference(float[] student, float[] teacher, int[] targets, int vocab, float t,
        float alpha)
    {
        int n = targets.Count(target => target != Ignored);
        double kd = 0, ce = 0;
        var gradient = new double[student.Length];
        for (int r = 0; r < targets.Length; r++)
        {
            if (targets[r] == Ignored) continue;
            var s = student.AsSpan(r * vocab, vocab);
            var z = teacher.AsSpan(r * vocab, vocab);
            double[] logP = LogSoftmax(z, t), logQ = LogSoftmax(s, t), logSoftmax = LogSoftmax(s, 1);
            for (int i = 0; i < vocab; i++)
            {
                double p = Math.Exp(logP[i]), q = Math.Exp(logQ[i]);
                kd += p * (logP[i] - logQ[i]);
                gradient[r * vocab + i] = (1 - alpha) * (Math.Exp(logSoftmax[i]) - (i == targets[r] ? 1 : 0)) / n + alpha * t * (q - p) / n;
            }
            ce -= logSoftmax[targets[r]];
        }
        kd *= (double)t * t / n;
        ce /= n;
        return (alpha * kd + (1 - alpha) * ce, kd, ce, gradient);
    }

    private static double[] LogSoftmax(ReadOnlySpan<float> logits, float t)
    {
        double max = double.NegativeInfinity, sum = 0;
        foreach (float v in logits) max = Math.Max(max, v / (double)t);
        foreach (float v in logits) sum += Math.Exp(v / (double)t - max);
        var result = new double[logits.Length];
        for (int i = 0; i < logits.Length; i++) result[i] = logits[i] / (double)t - max - Math.Log(sum);
        return result;
    }

    private static int[] Targets(Random rng, int rows, int vocab) =>
        [.. Enumerable.Range(0, rows).Select(r => r == 1 ? Ignored : rng.Next(vocab))];

    public static TheoryData<int, float, float> Cases()
    {
        var data = new TheoryData<int, float, float>();
        foreach (int vocab in (int[])[5, 37, 1031])
            foreach (float t in (float[])[1f, 2f])
                foreach (float alpha in (float[])[0f, 0.5f, 1f])
                    data.Add(vocab, t, alpha);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LossAndGradientMatchTheScalarReference(int vocab, float t, float alpha)
    {
        const int rows = 4;
        var rng = new Random(vocab * 10 + (int)(alpha * 4) + (int)t);
        float[] student = RandomValues(rng, rows * vocab, 4f), teacher = RandomValues(rng, rows * vocab, 4f);
        int[] targets = Targets(rng, rows, vocab);
        var loss = new DistillationLoss(vocab, t, alpha);
        var terms = loss.Forward(student, teacher, targets);
        var expected = Reference(student, teacher, targets, vocab, t, alpha);
        Assert.Equal(rows - 1, terms.Tokens);
        Assert.Equal(expected.Loss, terms.Loss, LossTolerance);
        Assert.Equal(expected.Kd, terms.KdLoss, LossTolerance);
        Assert.Equal(expected.Ce, terms.CeLoss, LossTolerance);
        var dlogits = new float[student.Length];
        loss.Backward(dlogits);
        for (int i = 0; i < dlogits.Length; i++)
            Assert.True(Math.Abs(dlogits[i] - expected.Gradient[i]) <= GradientTolerance, $"[{i}]: expected {expected.Gradient[i]}, found {dlogits[i]}");
        Assert.All(dlogits.AsSpan(vocab, vocab).ToArray(), value => Assert.Equal(0f, value)); // the ignored row
    }

    [Theory]
    [InlineData(5, 1f, 0.5f)]
    [InlineData(37, 2f, 0.5f)]
    [InlineData(37, 2f, 1f)]
    [InlineData(7, 1f, 0f)]
    public void GradientMatchesFiniteDifferencesOfTheReference(int vocab, float t, float alpha)
    {
        const int rows = 3;
        var rng = new Random(vocab + 100);
        float[] student = RandomValues(rng, rows * vocab, 3f), teacher = RandomValues(rng, rows * vocab, 3f);
        int[] targets = Targets(rng, rows, vocab);
        var loss = new DistillationLoss(vocab, t, alpha);
        loss.Forward(student, teacher, targets);
        var dlogits = new float[student.Length];
        loss.Backward(dlogits, 2f);
        AssertGradient("dstudent", student, dlogits, () => 2 * Reference(student, teacher, targets, vocab, t, alpha).Loss);
    }

    [Theory]
    [InlineData(11, 1f)]
    [InlineData(1031, 2f)]
    public void AlphaZeroIsCrossEntropyBitForBit(int vocab, float t)
    {
        const int rows = 6;
        var rng = new Random(vocab);
        float[] student = RandomValues(rng, rows * vocab, 5f), teacher = RandomValues(rng, rows * vocab, 5f);
        int[] targets = Targets(rng, rows, vocab);
        using var pool = new ComputePool(2);
        var crossEntropy = new CrossEntropy(vocab) { Pool = pool };
        var distillation = new DistillationLoss(vocab, t, alpha: 0f) { Pool = pool };
        float expected = crossEntropy.Forward(student, targets);
        var terms = distillation.Forward(student, teacher, targets);
        Assert.Equal(expected, terms.Loss);
        Assert.True(terms.KdLoss > 0);
        float[] a = new float[student.Length], b = new float[student.Length];
        crossEntropy.Backward(a);
        distillation.Backward(b);
        Assert.True(a.AsSpan().SequenceEqual(b), "alpha 0 changed the cross-entropy gradient");
    }

    [Fact]
    public void AStudentEqualToItsTeacherHasNoKdLossOrGradient()
    {
        const int vocab = 29, rows = 3;
        var logits = RandomValues(new Random(3), rows * vocab, 6f);
        var loss = new DistillationLoss(vocab, 2f, alpha: 1f);
        var terms = loss.Forward(logits, logits, [1, 2, 3]);
        Assert.Equal(0, terms.KdLoss, 1e-6);
        var d = new float[logits.Length];
        loss.Backward(d);
        Assert.All(d, value => Assert.Equal(0f, value));
    }

    [Fact]
    public void KlRowsDoNotDependOnTheThreadCountAndMatchTheReferenceRow()
    {
        const int vocab = 4097, rows = 5;
        var rng = new Random(9);
        float[] student = RandomValues(rng, rows * vocab, 8f), teacher = RandomValues(rng, rows * vocab, 8f);
        int[] targets = [0, 1, Ignored, 3, 4];
        float[] serialDiff = new float[student.Length], pooledDiff = new float[student.Length];
        double[] serialKl = new double[rows], pooledKl = new double[rows];
        TemperedKlRows.Forward(student, teacher, targets, 1.5f, serialDiff, serialKl, vocab, null);
        using (var pool = new ComputePool(3)) TemperedKlRows.Forward(student, teacher, targets, 1.5f, pooledDiff, pooledKl, vocab, pool);
        Assert.True(serialDiff.AsSpan().SequenceEqual(pooledDiff));
        Assert.Equal(serialKl, pooledKl);
        Assert.Equal(0, serialKl[2]);
        var expectedDiff = new double[vocab];
        for (int r = 0; r < rows; r++)
        {
            if (targets[r] == Ignored) continue;
            double kl = TemperedKlRows.Reference(student.AsSpan(r * vocab, vocab), teacher.AsSpan(r * vocab, vocab), 1.5f, expectedDiff);
            Assert.Equal(kl, serialKl[r], 1e-5);
            for (int i = 0; i < vocab; i++) Assert.True(Math.Abs(expectedDiff[i] - serialDiff[r * vocab + i]) <= 1e-6, $"row {r} [{i}]");
        }
    }

    [Theory]
    [InlineData(0f, 0.5f)]
    [InlineData(float.NaN, 0.5f)]
    [InlineData(2f, 1.5f)]
    [InlineData(2f, -0.1f)]
    public void RefusesABadTemperatureOrAlpha(float t, float alpha) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new DistillationLoss(10, t, alpha));
}
