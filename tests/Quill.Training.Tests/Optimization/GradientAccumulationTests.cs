// Gradient accumulation: K micro-batches of a least-squares problem give the same gradient and update as one big batch.
using Quill.Training.Layers;
using Quill.Training.Optimization;

namespace Quill.Training.Tests.Optimization;

public class GradientAccumulationTests
{
    private const float SameUpdateTolerance = 1e-6f;
    private const int In = 4, Out = 2;

    /// <summary>Loss = mean over rows of ½‖x·Wᵀ + b − y‖²; adds its gradient to the layer (dy = (ŷ − y)/rows).</summary>
    private static void Backward(Linear layer, ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        int rows = x.Length / In;
        var prediction = new float[rows * Out];
        layer.Forward(x, prediction);
        for (int i = 0; i < prediction.Length; i++) prediction[i] = (prediction[i] - y[i]) / rows;
        layer.Backward(prediction, new float[x.Length]);
    }

    private static (Linear Layer, ParameterSet Set, AdamW Adam) Model()
    {
        var layer = new Linear(In, Out, bias: true);
        for (int i = 0; i < layer.Weight.Length; i++) layer.Weight[i] = 0.1f * (i % 5) - 0.2f;
        var set = new ParameterSet();
        set.Add("w", layer.Weight, layer.WeightGrad);
        set.Add("b", layer.Bias!, layer.BiasGrad!, decay: false);
        return (layer, set, new AdamW(set, 1e-2f));
    }

    [Theory]
    [InlineData(1, 8)]
    [InlineData(4, 3)]
    [InlineData(5, 7)]
    public void MicroBatchesEqualOneBigBatch(int k, int rowsPerMicroBatch)
    {
        var rng = new Random(k * 10 + rowsPerMicroBatch);
        int rows = k * rowsPerMicroBatch;
        var x = Enumerable.Range(0, rows * In).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var y = Enumerable.Range(0, rows * Out).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();

        var (big, bigSet, bigAdam) = Model();
        var (small, smallSet, smallAdam) = Model();
        var accumulation = new GradientAccumulation(smallSet, k);
        for (int step = 0; step < 3; step++)
        {
            bigSet.ZeroGrad();
            Backward(big, x, y);

            smallSet.ZeroGrad();
            bool completed = false;
            for (int b = 0; b < k; b++)
            {
                Backward(small, x.AsSpan(b * rowsPerMicroBatch * In, rowsPerMicroBatch * In), y.AsSpan(b * rowsPerMicroBatch * Out, rowsPerMicroBatch * Out));
                completed = accumulation.EndMicroBatch();
                Assert.Equal(b == k - 1, completed);
            }
            for (int p = 0; p < bigSet.Count; p++)
                for (int i = 0; i < bigSet[p].Length; i++)
                    Assert.InRange(smallSet[p].Grad[i], bigSet[p].Grad[i] - SameUpdateTolerance, bigSet[p].Grad[i] + SameUpdateTolerance);

            bigAdam.Step();
            smallAdam.Step();
            for (int p = 0; p < bigSet.Count; p++)
                for (int i = 0; i < bigSet[p].Length; i++)
                    Assert.InRange(smallSet[p].Value[i], bigSet[p].Value[i] - SameUpdateTolerance, bigSet[p].Value[i] + SameUpdateTolerance);
        }
        Assert.Equal(0, accumulation.Pending);
    }
}
