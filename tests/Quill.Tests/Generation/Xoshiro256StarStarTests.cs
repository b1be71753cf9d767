// Pins the seeded generator's sequence so a seed means the same tokens forever; not a statistical test suite.
using Quill.Generation;

namespace Quill.Tests.Generation;

public class Xoshiro256StarStarTests
{
    [Theory]
    [InlineData(0UL, new[] { 0x99EC5F36CB75F2B4UL, 0xBF6E1F784956452AUL, 0x1A5F849D4933E6E0UL, 0x6AA594F1262D2D2CUL })]
    [InlineData(42UL, new[] { 0x15780B2E0C2EC716UL, 0x6104D9866D113A7EUL, 0xAE17533239E499A1UL, 0xECB8AD4703B360A1UL })]
    public void SequenceForASeedIsFixed(ulong seed, ulong[] expected)
    {
        var random = new Xoshiro256StarStar(seed);
        Assert.Equal(expected, expected.Select(_ => random.NextUInt64()).ToArray());
    }

    [Fact]
    public void NextDoubleStaysInTheUnitIntervalAndIsNotDegenerate()
    {
        const int Draws = 10_000;
        const double MeanTolerance = 0.02; // ~7 standard errors of a uniform mean over 10k draws
        var random = new Xoshiro256StarStar(7);
        double sum = 0;
        for (int i = 0; i < Draws; i++)
        {
            double u = random.NextDouble();
            Assert.InRange(u, 0.0, Math.BitDecrement(1.0));
            sum += u;
        }
        Assert.InRange(sum / Draws, 0.5 - MeanTolerance, 0.5 + MeanTolerance);
    }
}
