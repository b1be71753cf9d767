// Checks that the SIMD Q8_0 / Q8_1 quantizers write the same bytes as the references at every width.
using Quill.Tensors.Quantization;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Tests.Quantization;

public class Int8ActivationTests
{
    private delegate void QuantizeAt(ReadOnlySpan<float> source, Span<byte> blocks, SimdWidth width);
    private delegate void QuantizeRow(ReadOnlySpan<float> source, Span<byte> blocks);

    [Theory]
    [MemberData(nameof(QuantTestData.LengthsAndWidths), MemberType = typeof(QuantTestData))]
    public void Q8_0_Quantize_EqualsReferenceBytes(int elements, string width) =>
        AssertSameBytes(Q8_0Block.QuantizeReference, Q8_0Block.Quantize, Q8_0Block.BlockBytes, elements, width);

    [Theory]
    [MemberData(nameof(QuantTestData.LengthsAndWidths), MemberType = typeof(QuantTestData))]
    public void Q8_1_Quantize_EqualsReferenceBytes(int elements, string width) =>
        AssertSameBytes(Q8_1Block.QuantizeReference, Q8_1Block.Quantize, Q8_1Block.BlockBytes, elements, width);

    [Theory]
    [InlineData(0.5f)]
    [InlineData(1.5f)]
    [InlineData(2.5f)]
    [InlineData(-0.5f)]
    [InlineData(63.5f)]
    public void Q8_Quantize_RoundsTiesAwayFromZero(float tie)
    {
        // With max|x| = 127 the scale is exactly 1, so x itself is the value rounded.
        float[] source = new float[32];
        source[0] = 127;
        source[1] = tie;
        foreach (SimdWidth width in SimdCapability.Supported())
        {
            var block = new byte[Q8_0Block.BlockBytes];
            Q8_0Block.Quantize(source, block, width);
            Assert.Equal((sbyte)MathF.Round(tie, MidpointRounding.AwayFromZero), (sbyte)block[3]);
        }
    }

    [Fact]
    public void Q8_1_StoresScaledQuantSum()
    {
        float[] source = QuantTestData.Floats(32, seed: 11);
        var block = new byte[Q8_1Block.BlockBytes];
        Q8_1Block.QuantizeReference(source, block);
        float d = source.Max(MathF.Abs) / 127;
        int sum = block[4..].Sum(b => (sbyte)b);
        Assert.Equal((Half)(sum * d), BitConverter.ToHalf(block, 2));
    }

    private static void AssertSameBytes(QuantizeRow reference, QuantizeAt fast, int blockBytes, int elements, string width)
    {
        float[] source = QuantTestData.Floats(elements, seed: 10);
        var expected = new byte[elements / 32 * blockBytes];
        var actual = new byte[expected.Length];
        reference(source, expected);
        fast(source, actual, QuantTestData.Width(width));
        Assert.Equal(expected, actual);
    }
}
