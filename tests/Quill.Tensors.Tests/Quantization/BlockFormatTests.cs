// Checks every 32-element block format's SIMD paths against its scalar references at every width; not goldens.
using Quill.Tensors.Quantization;

namespace Quill.Tensors.Tests.Quantization;

public class BlockFormatTests
{
    /// <summary>The reference dot against float math on the dequantized rows (float products, double sum).</summary>
    private const double ReferenceVersusFloatRelative = 1e-5;

    [Theory]
    [MemberData(nameof(BlockFormatCase.FormatsLengthsAndWidths), MemberType = typeof(BlockFormatCase))]
    public void Dequantize_EqualsReferenceBitForBit(string format, int elements, string width)
    {
        BlockFormatCase c = BlockFormatCase.Get(format);
        byte[] blocks = Weights(c, elements, seed: 1);
        var expected = new float[elements];
        var actual = new float[elements];
        c.DequantizeReference(blocks, expected);
        c.Dequantize(blocks, actual, QuantTestData.Width(width));
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [MemberData(nameof(BlockFormatCase.FormatsLengthsAndWidths), MemberType = typeof(BlockFormatCase))]
    public void Dequantize_RandomBytes_EqualsReferenceBitForBit(string format, int elements, string width)
    {
        BlockFormatCase c = BlockFormatCase.Get(format);
        byte[] blocks = RandomBlocks(c.BlockBytes, elements / 32, seed: 2);
        var expected = new float[elements];
        var actual = new float[elements];
        c.DequantizeReference(blocks, expected);
        c.Dequantize(blocks, actual, QuantTestData.Width(width));
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [MemberData(nameof(BlockFormatCase.FormatsLengthsAndWidths), MemberType = typeof(BlockFormatCase))]
    public void Dot_MatchesReferenceWithinTolerance(string format, int elements, string width)
    {
        BlockFormatCase c = BlockFormatCase.Get(format);
        byte[] weights = Weights(c, elements, seed: 3);
        byte[] activations = Activations(c, elements, seed: 4);
        float expected = c.DotReference(weights, activations);
        float actual = c.Dot(weights, activations, QuantTestData.Width(width));
        double magnitude = AbsoluteProductSum(c, weights, activations, elements);
        Assert.True(QuantTestData.RelativeError(actual, expected, magnitude) <= QuantTolerances.DotRelative,
            $"{format} x{elements} at {width}: dot {actual}, reference {expected}, sum|wx| {magnitude}");
    }

    [Theory]
    [MemberData(nameof(BlockFormatCase.FormatsAndLengths), MemberType = typeof(BlockFormatCase))]
    public void DotReference_MatchesFloatDotOfDequantizedRows(string format, int elements)
    {
        BlockFormatCase c = BlockFormatCase.Get(format);
        byte[] weights = Weights(c, elements, seed: 5);
        byte[] activations = Activations(c, elements, seed: 6);
        var w = new float[elements];
        var x = new float[elements];
        c.DequantizeReference(weights, w);
        c.DequantizeActivations(activations, x);
        double expected = 0;
        double magnitude = 0;
        for (int i = 0; i < elements; i++)
        {
            expected += w[i] * x[i];
            magnitude += Math.Abs(w[i] * x[i]);
        }

        float actual = c.DotReference(weights, activations);
        magnitude += StoredSumSlack(c, weights, activations) / ReferenceVersusFloatRelative;
        Assert.True(QuantTestData.RelativeError(actual, expected, magnitude) <= ReferenceVersusFloatRelative,
            $"{format} x{elements}: reference {actual}, float dot {expected}, sum|wx| {magnitude}");
    }

    [Theory]
    [MemberData(nameof(BlockFormatCase.FormatsAndLengths), MemberType = typeof(BlockFormatCase))]
    public void QuantizeReference_RoundTripsWithinHalfAStep(string format, int elements)
    {
        BlockFormatCase c = BlockFormatCase.Get(format);
        float[] source = QuantTestData.Floats(elements, seed: 7);
        var blocks = new byte[elements / 32 * c.BlockBytes];
        var back = new float[elements];
        c.QuantizeReference(source, blocks);
        c.DequantizeReference(blocks, back);
        for (int b = 0; b < elements / 32; b++)
        {
            ReadOnlySpan<float> block = source.AsSpan(b * 32, 32);
            float range = block.ToArray().Max() - block.ToArray().Min();
            float amax = block.ToArray().Max(Math.Abs);
            for (int j = 0; j < 32; j++)
            {
                // Min formats step by range/15 or finer; symmetric ones by amax/8 or finer (clamping costs one step).
                double bound = Math.Max(range / 15 * 0.55, amax / 8 * 1.01) + amax * 1e-3;
                Assert.True(Math.Abs(back[b * 32 + j] - block[j]) <= bound,
                    $"{format} element {b * 32 + j}: {block[j]} came back as {back[b * 32 + j]}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(BlockFormatCase.FormatsAndLengths), MemberType = typeof(BlockFormatCase))]
    public void Dot_BadLengths_Throw(string format, int elements)
    {
        BlockFormatCase c = BlockFormatCase.Get(format);
        var weights = new byte[elements / 32 * c.BlockBytes];
        var activations = new byte[elements / 32 * c.ActivationBlockBytes];
        var longWeights = new byte[weights.Length + 1];
        var longActivations = new byte[activations.Length + 1];
        Assert.Throws<ArgumentException>(() => c.DotReference(longWeights, activations));
        Assert.Throws<ArgumentException>(() => c.Dot(longWeights, activations, Simd.SimdCapability.Best));
        Assert.Throws<ArgumentException>(() => c.DotReference(weights, longActivations));
        Assert.Throws<ArgumentException>(() => c.Dot(weights, longActivations, Simd.SimdCapability.Best));
        Assert.Throws<ArgumentException>(() => c.Dequantize(weights, new float[elements + 1], Simd.SimdCapability.Best));
    }

    /// <summary>
    /// Q8_1 stores s = fp16(d * sum q) from the unrounded d, so m * s may differ from the dequantized rows'
    /// m * sum(q * fp16(d)) by about 2^-11 of |m * s| per block (ggml behaves the same).
    /// </summary>
    private static double StoredSumSlack(BlockFormatCase c, byte[] weights, byte[] activations)
    {
        if (c.ActivationBlockBytes != Q8_1Block.BlockBytes)
        {
            return 0;
        }

        double slack = 0;
        for (int i = 0; i < weights.Length / c.BlockBytes; i++)
        {
            double m = (double)BitConverter.ToHalf(weights, i * c.BlockBytes + 2);
            double s = (double)BitConverter.ToHalf(activations, i * c.ActivationBlockBytes + 2);
            slack += Math.Abs(m * s) / 1024;
        }

        return slack;
    }

    private static byte[] Weights(BlockFormatCase c, int elements, int seed)
    {
        var blocks = new byte[elements / 32 * c.BlockBytes];
        c.QuantizeReference(QuantTestData.Floats(elements, seed), blocks);
        return blocks;
    }

    private static byte[] Activations(BlockFormatCase c, int elements, int seed)
    {
        var blocks = new byte[elements / 32 * c.ActivationBlockBytes];
        c.QuantizeActivations(QuantTestData.Floats(elements, seed), blocks);
        return blocks;
    }

    /// <summary>Random quant bytes with a finite fp16 scale (and min) in the first bytes of each block.</summary>
    private static byte[] RandomBlocks(int blockBytes, int count, int seed)
    {
        var random = new Random(seed);
        var blocks = new byte[count * blockBytes];
        random.NextBytes(blocks);
        for (int i = 0; i < count; i++)
        {
            BitConverter.TryWriteBytes(blocks.AsSpan(i * blockBytes), (Half)(random.NextSingle() * 2 - 1));
            BitConverter.TryWriteBytes(blocks.AsSpan(i * blockBytes + 2), (Half)(random.NextSingle() * 2 - 1));
        }

        return blocks;
    }

    private static double AbsoluteProductSum(BlockFormatCase c, byte[] weights, byte[] activations, int elements)
    {
        var w = new float[elements];
        var x = new float[elements];
        c.DequantizeReference(weights, w);
        c.DequantizeActivations(activations, x);
        double sum = 0;
        for (int i = 0; i < elements; i++)
        {
            sum += Math.Abs((double)w[i] * x[i]);
        }

        return sum;
    }
}
