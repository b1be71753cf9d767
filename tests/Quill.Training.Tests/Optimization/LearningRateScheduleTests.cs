// Warm-up + cosine and constant schedules at their key steps.
using Quill.Training.Optimization;

namespace Quill.Training.Tests.Optimization;

public class LearningRateScheduleTests
{
    private const float ScheduleTolerance = 1e-9f;

    [Theory]
    [InlineData(0, 0f)]           // start of warm-up
    [InlineData(5, 0.5e-3f)]      // half-way through warm-up
    [InlineData(10, 1e-3f)]       // warm-up end: peak
    [InlineData(60, 0.55e-3f)]    // middle of the decay: (peak + min)/2
    [InlineData(110, 1e-4f)]      // end: the minimum
    [InlineData(500, 1e-4f)]      // past the end: stays at the minimum
    public void WarmupCosineAtKeySteps(long step, float expected)
    {
        var schedule = new WarmupCosineSchedule(peak: 1e-3f, warmupSteps: 10, totalSteps: 110, minimum: 1e-4f);
        Assert.InRange(schedule.At(step), expected - ScheduleTolerance, expected + ScheduleTolerance);
    }

    [Fact]
    public void DecayIsMonotone()
    {
        var schedule = new WarmupCosineSchedule(1f, 3, 50, 0.1f);
        for (long s = 3; s < 60; s++) Assert.True(schedule.At(s + 1) <= schedule.At(s), $"step {s}");
    }

    [Fact]
    public void ConstantIsConstant()
    {
        var schedule = new ConstantSchedule(3e-4f);
        Assert.Equal(3e-4f, schedule.At(0));
        Assert.Equal(3e-4f, schedule.At(1_000_000));
    }
}
