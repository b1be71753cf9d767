// Tests of the Q8_K activation format: fast quantizer against the scalar one, scalar against ggml itself.
using Quill.Tensors.Quantization;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Tests.Quantization;

public class KQ8KTests
{
    public static TheoryData<int> Counts() => new([0, 1, 2, 3, 16, 17]);

    [Theory]
    [MemberData(nameof(Counts))]
    public void QuantizeEqualsReferenceAtEveryLevel(int count)
    {
        float[] source = KQuantTestData.RandomFloats(count * 256, seed: 10 + count);
        var expected = new byte[count * Q8KBlock.BlockBytes];
        Q8KBlock.QuantizeReference(source, expected);
        foreach (SimdWidth level in SimdCapability.Supported())
        {
            var actual = new byte[expected.Length];
            Q8KBlock.Quantize(source, actual, level);
            Assert.Equal(expected, actual);
        }
    }

    [Theory]
    [MemberData(nameof(Counts))]
    public void QuantizeReferenceEqualsGgml(int count)
    {
        float[] source = KQuantTestData.RandomFloats(count * 256, seed: 20 + count);
        var expected = new byte[count * Q8KBlock.BlockBytes];
        var actual = new byte[expected.Length];
        KNativeGgml.QuantizeReference("q8_K", source, expected);
        Q8KBlock.QuantizeReference(source, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void QuantizeKeepsTheSignOfTheLargestMagnitudeAndTies()
    {
        // The first value of largest magnitude (-2, ahead of +2) sets iscale = -127 / -2, so d is positive.
        var source = new float[256];
        source[3] = -2f;
        source[7] = 2f;
        source[9] = 0.5f;
        var expected = new byte[Q8KBlock.BlockBytes];
        var actual = new byte[Q8KBlock.BlockBytes];
        KNativeGgml.QuantizeReference("q8_K", source, expected);
        Q8KBlock.QuantizeReference(source, actual);
        Assert.Equal(expected, actual);
        Q8KBlock.Quantize(source, actual);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData(0, 255)]
    [InlineData(15, 16)]
    [InlineData(200, 250)]
    [InlineData(255, 0)]
    public void QuantizeEveryLevelKeepsTheFirstLargestMagnitude(int first, int second)
    {
        // Largest magnitude twice with opposite signs, in any group; groups of extreme quants (sums near ±2032) around.
        float[] source = KQuantTestData.RandomFloats(256, seed: first * 256 + second);
        source[first] = -9f;
        source[second] = 9f;
        for (int i = 32; i < 48; i++) source[i] = -8.99f;
        for (int i = 64; i < 80; i++) source[i] = 8.99f;
        var expected = new byte[Q8KBlock.BlockBytes];
        Q8KBlock.QuantizeReference(source, expected);
        foreach (SimdWidth level in SimdCapability.Supported())
        {
            var actual = new byte[expected.Length];
            Q8KBlock.Quantize(source, actual, level);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void QuantizeOfZerosIsAllZeroBytes()
    {
        var actual = new byte[Q8KBlock.BlockBytes];
        actual.AsSpan().Fill(0xAB);
        Q8KBlock.QuantizeReference(new float[256], actual);
        Assert.All(actual, b => Assert.Equal(0, b));
        actual.AsSpan().Fill(0xAB);
        Q8KBlock.Quantize(new float[256], actual);
        Assert.All(actual, b => Assert.Equal(0, b));
    }

    [Theory]
    [MemberData(nameof(Counts))]
    public void DequantizeReferenceEqualsGgml(int count)
    {
        byte[] blocks = KQuantTestData.RandomActivations(count, seed: 30 + count);
        var expected = new float[count * 256];
        var actual = new float[count * 256];
        KNativeGgml.Dequantize("q8_K", blocks, expected);
        Q8KBlock.DequantizeReference(blocks, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void QuantizeRejectsPartialBlocks()
    {
        Assert.Throws<InvalidDataException>(() => Q8KBlock.Quantize(new float[300], new byte[2 * Q8KBlock.BlockBytes]));
        Assert.Throws<InvalidDataException>(() => Q8KBlock.QuantizeReference(new float[300], new byte[2 * Q8KBlock.BlockBytes]));
    }
}
