// AxisTicks: nice steps, tick values inside the range, and short labels.
using Quill.Training.Reporting;

namespace Quill.Training.Tests.Reporting;

public class AxisTicksTests
{
    private const double ValueTolerance = 1e-12;

    [Theory]
    [InlineData(0.07, 0.1)]
    [InlineData(0.1, 0.1)]
    [InlineData(0.13, 0.2)]
    [InlineData(3.0, 5.0)]
    [InlineData(7.0, 10.0)]
    [InlineData(1234.0, 2000.0)]
    public void NiceStepRoundsUpTo125(double raw, double expected) =>
        Assert.Equal(expected, AxisTicks.NiceStep(raw), ValueTolerance);

    [Theory]
    [InlineData(0.0, 1.0, 5, false, new[] { 0, 0.2, 0.4, 0.6, 0.8, 1.0 })]
    [InlineData(1.83, 4.17, 6, false, new[] { 2.0, 2.5, 3.0, 3.5, 4.0 })]
    [InlineData(1.0, 5.0, 8, true, new[] { 1.0, 2, 3, 4, 5 })]
    [InlineData(0.0, 2000.0, 8, true, new[] { 0.0, 500, 1000, 1500, 2000 })]
    public void TicksAreNiceMultiplesInsideTheRange(double low, double high, int target, bool integers, double[] expected)
    {
        double[] ticks = AxisTicks.Compute(low, high, target, integers, out _);
        Assert.Equal(expected.Length, ticks.Length);
        for (int i = 0; i < ticks.Length; i++) Assert.Equal(expected[i], ticks[i], ValueTolerance * 1000);
    }

    [Theory]
    [InlineData(0.6000000000000001, 0.2, "0.6")]
    [InlineData(2.5, 0.5, "2.5")]
    [InlineData(0.05, 0.05, "0.05")]
    [InlineData(1500.0, 500.0, "1500")]
    [InlineData(-1e-17, 0.1, "0")]
    [InlineData(0.00015, 0.00005, "1.5e-4")]
    [InlineData(3000000.0, 1000000.0, "3e6")]
    public void LabelsAreShort(double value, double step, string expected) =>
        Assert.Equal(expected, AxisTicks.Label(value, step));
}
