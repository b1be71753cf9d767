// ThroughputMeter: rate over the window only, ETA from the mean step time, empty meter, short duration text.
using Quill.Training.Reporting;

namespace Quill.Training.Tests.Reporting;

public class ThroughputMeterTests
{
    private const double RateTolerance = 1e-9;

    [Fact]
    public void EmptyMeterHasNoRateAndNoEstimate()
    {
        var meter = new ThroughputMeter();
        Assert.Equal(0, meter.TokensPerSecond);
        Assert.Null(meter.EstimateRemaining(10));
    }

    [Fact]
    public void RateIsTotalTokensOverTotalSeconds()
    {
        var meter = new ThroughputMeter(window: 4);
        meter.Add(1000, 1.0);
        meter.Add(3000, 2.0);
        Assert.Equal(4000 / 3.0, meter.TokensPerSecond, RateTolerance);
        Assert.Equal(1.5, meter.SecondsPerStep, RateTolerance);
        Assert.Equal(TimeSpan.FromSeconds(15), meter.EstimateRemaining(10));
    }

    [Fact]
    public void OldStepsLeaveTheWindow()
    {
        var meter = new ThroughputMeter(window: 3);
        meter.Add(1, 100.0); // a slow first step (compilation, warm-up) drops out
        for (int i = 0; i < 3; i++) meter.Add(500, 0.25);
        Assert.Equal(2000, meter.TokensPerSecond, RateTolerance);
        Assert.Equal(TimeSpan.FromSeconds(1), meter.EstimateRemaining(4));
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(45.4, "45s")]
    [InlineData(185, "3m 05s")]
    [InlineData(7620, "2h 07m")]
    [InlineData(273600, "3d 04h")]
    public void FormatsShortDurations(double seconds, string expected) =>
        Assert.Equal(expected, ThroughputMeter.Format(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void RejectsNegativeOrNonFiniteSteps()
    {
        var meter = new ThroughputMeter();
        Assert.Throws<ArgumentOutOfRangeException>(() => meter.Add(-1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => meter.Add(1, double.NaN));
    }
}
