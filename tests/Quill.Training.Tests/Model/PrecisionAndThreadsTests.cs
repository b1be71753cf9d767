// The training model under bf16 mixed precision and on several threads: close to fp32, deterministic; not speed.
using Quill.Training.Data;
using Quill.Training.Model;
using Quill.Training.Optimization;

namespace Quill.Training.Tests.Model;

public class PrecisionAndThreadsTests
{
    /// <summary>‖g_bf16 − g_fp32‖ / ‖g_fp32‖ per tensor: bf16 keeps 8 mantissa bits (relative error ≤ 2⁻⁹ per operand).</summary>
    private const double Bf16GradientTolerance = 0.03;
    private const float Bf16LossTolerance = 0.01f;
    private const float OverfitLoss = 0.05f;

    private static Batch RandomBatch(int vocab, int rows, int length, int seed)
    {
        var rng = new Random(seed);
        var tokens = new int[rows * (length + 1)];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = rng.Next(vocab);
        var inputs = new int[rows * length];
        var targets = new int[rows * length];
        for (int r = 0; r < rows; r++)
            for (int t = 0; t < length; t++)
            {
                inputs[r * length + t] = tokens[r * (length + 1) + t];
                targets[r * length + t] = tokens[r * (length + 1) + t + 1];
            }
        var lengths = Enumerable.Repeat(length, rows).ToArray();
        lengths[^1] = length - 3;
        for (int t = length - 3; t < length; t++) targets[(rows - 1) * length + t] = -100;
        return new Batch(rows, length, inputs, targets, lengths);
    }

    private static (float Loss, float[][] Grads) LossAndGradients(TrainingPrecision precision, int threads)
    {
        var config = TinyLlamaConfigs.Make(vocab: 40, dim: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 96, context: 16);
        using var model = new LlamaTrainingModel(config, new TrainingModelOptions { Precision = precision, Threads = threads });
        model.InitializeRandom(3);
        var batch = RandomBatch(40, 4, 16, 1);
        float loss = model.Forward(batch);
        model.Parameters.ZeroGrad();
        model.Backward();
        return (loss, model.Parameters.Parameters.Select(p => (float[])p.Grad.Clone()).ToArray());
    }

    [Fact]
    public void Bf16GradientsAreCloseToFp32()
    {
        var (loss32, g32) = LossAndGradients(TrainingPrecision.Fp32, 1);
        var (loss16, g16) = LossAndGradients(TrainingPrecision.Bf16, 1);
        Assert.InRange(loss16 - loss32, -Bf16LossTolerance, Bf16LossTolerance);
        for (int i = 0; i < g32.Length; i++)
        {
            double diff = 0, norm = 0;
            for (int j = 0; j < g32[i].Length; j++)
            {
                diff += Math.Pow(g16[i][j] - g32[i][j], 2);
                norm += Math.Pow(g32[i][j], 2);
            }
            double relative = Math.Sqrt(diff / Math.Max(norm, 1e-30));
            Assert.True(relative < Bf16GradientTolerance, $"parameter {i}: relative gradient error {relative:E2}");
        }
    }

    [Theory]
    [InlineData(TrainingPrecision.Fp32)]
    [InlineData(TrainingPrecision.Bf16)]
    public void ThreadedRunsAreBitIdenticalToOneThread(TrainingPrecision precision)
    {
        var (loss1, g1) = LossAndGradients(precision, 1);
        for (int run = 0; run < 2; run++)
        {
            var (loss3, g3) = LossAndGradients(precision, 3);
            Assert.Equal(loss1, loss3);
            for (int i = 0; i < g1.Length; i++) Assert.Equal(g1[i], g3[i]);
        }
    }

    [Fact]
    public void TinyModelOverfitsUnderBf16()
    {
        var config = TinyLlamaConfigs.Make(vocab: 16, dim: 32, layers: 2, heads: 4, kvHeads: 2, ffn: 64, context: 16);
        using var model = new LlamaTrainingModel(config, new TrainingModelOptions { Precision = TrainingPrecision.Bf16, Threads = 2 });
        model.InitializeRandom(1);
        var batch = RandomBatch(16, 8, 12, 5);
        var adam = new AdamW(model.Parameters, learningRate: 1e-2f, weightDecay: 0f);
        float loss = 0;
        for (int step = 0; step < 300; step++)
        {
            model.Parameters.ZeroGrad();
            loss = model.Forward(batch);
            model.Backward();
            adam.Step();
        }
        Assert.True(loss < OverfitLoss, $"bf16 loss after 300 steps is {loss}, expected below {OverfitLoss}");
    }
}
