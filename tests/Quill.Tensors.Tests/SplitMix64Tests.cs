// Pins splitmix64's sequence so a seed means the same numbers forever; not a statistical test suite.
namespace Quill.Tensors.Tests;

public class SplitMix64Tests
{
    private static readonly ulong[] PublishedFromZero = [0xE220A8397B1DCDAFUL, 0x6E789E6AA1B965F4UL, 0x06C45D188009454FUL];

    [Fact]
    public void NextMatchesThePublishedSequenceFromZero()
    {
        ulong state = 0;
        Assert.Equal(PublishedFromZero, PublishedFromZero.Select(_ => SplitMix64.Next(ref state)).ToArray());
    }

    [Fact]
    public void InstanceFollowsTheSameSequence()
    {
        var random = new SplitMix64(0);
        Assert.Equal(PublishedFromZero, PublishedFromZero.Select(_ => random.NextUInt64()).ToArray());
    }

    [Fact]
    public void NextDoubleIsTheTop53BitsScaled()
    {
        var random = new SplitMix64(0);
        Assert.Equal((PublishedFromZero[0] >> 11) * (1.0 / (1UL << 53)), random.NextDouble());
    }
}
