// Which CPUs the decode kernels prefetch on, from CPUID signatures of the machines it was measured on.
using Quill.Tensors.Quantization;

namespace Quill.Tensors.Tests.Quantization;

public sealed class DecodePrefetchTests
{
    // CPUID leaf 1 EAX: AMD EPYC Zen 3 (family 19h, model 01h), Zen 4 (family 19h, model 11h), Zen 5 (family 1Ah), Intel
    // Emerald Rapids (family 6, model CFh).
    private const int Zen3 = 0x00A00F11, Zen4 = 0x00A10F11, Zen5 = 0x00B40F40, EmeraldRapids = 0x000C06F2;

    [Theory]
    [InlineData(Zen3, 0x19)]
    [InlineData(Zen4, 0x19)]
    [InlineData(Zen5, 0x1A)]
    [InlineData(EmeraldRapids, 6)]
    [InlineData(0x00000F00, 0xF)]
    public void Family_adds_the_extended_family_only_to_a_base_family_of_15(int signature, int family) =>
        Assert.Equal(family, DecodePrefetch.Family(signature));

    [Fact]
    public void Only_amd_family_19h_with_avx512_decodes_without_prefetching()
    {
        Assert.False(DecodePrefetch.DecodePrefetches(amd: true, Zen4, avx512: true));
        Assert.True(DecodePrefetch.DecodePrefetches(amd: true, Zen3, avx512: false));
        Assert.True(DecodePrefetch.DecodePrefetches(amd: true, Zen5, avx512: true));
        Assert.True(DecodePrefetch.DecodePrefetches(amd: false, EmeraldRapids, avx512: true));
        Assert.True(DecodePrefetch.DecodePrefetches(amd: false, Zen4, avx512: true)); // the family number alone is not AMD's
    }
}
