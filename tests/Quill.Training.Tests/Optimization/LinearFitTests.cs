// End to end: AdamW with warm-up + cosine, clipping and a Linear layer fits y = 3x + 1.
using Quill.Training.Layers;
using Quill.Training.Optimization;

namespace Quill.Training.Tests.Optimization;

public class LinearFitTests
{
    private const float FitTolerance = 1e-2f;

    [Fact]
    public void FitsThreeXPlusOne()
    {
        const int rows = 32, steps = 1500;
        var x = Enumerable.Range(0, rows).Select(i => -1f + 2f * i / (rows - 1)).ToArray();
        var y = x.Select(v => 3f * v + 1f).ToArray();
        var layer = new Linear(1, 1, bias: true);
        var set = new ParameterSet();
        set.Add("w", layer.Weight, layer.WeightGrad);
        set.Add("b", layer.Bias!, layer.BiasGrad!, decay: false);
        var adam = new AdamW(set, weightDecay: 0f); // decay would pull w below 3 by design; this checks convergence only
        var schedule = new WarmupCosineSchedule(peak: 0.05f, warmupSteps: 50, totalSteps: steps, minimum: 1e-4f);
        var prediction = new float[rows];
        var dy = new float[rows];
        var dx = new float[rows];
        for (int step = 0; step < steps; step++)
        {
            set.ZeroGrad();
            layer.Forward(x, prediction);
            for (int i = 0; i < rows; i++) dy[i] = (prediction[i] - y[i]) / rows; // mean of ½(ŷ − y)²
            layer.Backward(dy, dx);
            GradientClipping.ClipByGlobalNorm(set, 1.0);
            adam.Step(schedule.At(step));
        }
        Assert.InRange(layer.Weight[0], 3f - FitTolerance, 3f + FitTolerance);
        Assert.InRange(layer.Bias![0], 1f - FitTolerance, 1f + FitTolerance);
    }
}
