// Tests of the K-quant weight formats: SIMD against scalar at every level, scalar against ggml itself, dot against float math.
using Quill.Tensors.Quantization;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Tests.Quantization;

public class KQuantTests
{
    /// <summary>Dot and DotReference share exact integer sums; only float summation order differs (relative to sum |w*a|).</summary>
    private const double DotTolerance = 1e-5;

    /// <summary>DotReference against a float dot of the dequantized vectors: fp32 rounding of the dequantized weights.</summary>
    private const double FloatDotTolerance = 1e-4;

    public static TheoryData<string, int> FormatsAndCounts()
    {
        var data = new TheoryData<string, int>();
        foreach (KFormat format in KQuantTestData.All)
        {
            foreach (int count in new[] { 0, 1, 2, 3, 16, 17 })
            {
                data.Add(format.Name, count);
            }
        }
        return data;
    }

    public static TheoryData<string> Formats() => new(KQuantTestData.All.Select(f => f.Name));

    [Theory]
    [MemberData(nameof(FormatsAndCounts))]
    public void DequantizeEqualsReferenceAtEveryLevel(string name, int count)
    {
        KFormat format = KQuantTestData.ByName(name);
        byte[] blocks = KQuantTestData.RandomBlocks(format, count, seed: 100 + count);
        var expected = new float[count * 256];
        format.DequantizeReference(blocks, expected);
        foreach (SimdWidth level in SimdCapability.Supported())
        {
            var actual = new float[count * 256];
            format.Dequantize(blocks, actual, level);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"{name} x{count} at {level}: first difference at {FirstDifference(expected, actual)}");
        }
    }

    [Theory]
    [MemberData(nameof(FormatsAndCounts))]
    public void DequantizeReferenceEqualsGgml(string name, int count)
    {
        KFormat format = KQuantTestData.ByName(name);
        byte[] blocks = KQuantTestData.RandomBlocks(format, count, seed: 200 + count);
        var expected = new float[count * 256];
        var actual = new float[count * 256];
        KNativeGgml.Dequantize(format.GgmlName, blocks, expected);
        format.DequantizeReference(blocks, actual);
        Assert.True(expected.AsSpan().SequenceEqual(actual), $"{name} x{count}: first difference at {FirstDifference(expected, actual)}");
    }

    [Theory]
    [MemberData(nameof(FormatsAndCounts))]
    public void DotReferenceEqualsGgmlGeneric(string name, int count)
    {
        KFormat format = KQuantTestData.ByName(name);
        byte[] weights = KQuantTestData.RandomBlocks(format, count, seed: 300 + count);
        byte[] activations = KQuantTestData.RandomActivations(count, seed: 400 + count);
        float expected = KNativeGgml.DotGeneric(format.GgmlName, weights, activations, count * 256);
        float actual = format.DotReference(weights, activations);
        Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(actual));
    }

    [Theory]
    [MemberData(nameof(FormatsAndCounts))]
    public void DotMatchesReferenceAtEveryLevel(string name, int count)
    {
        KFormat format = KQuantTestData.ByName(name);
        byte[] weights = KQuantTestData.RandomBlocks(format, count, seed: 500 + count);
        byte[] activations = KQuantTestData.RandomActivations(count, seed: 600 + count);
        float expected = format.DotReference(weights, activations);
        double magnitude = Magnitude(format, weights, activations);
        foreach (SimdWidth level in SimdCapability.Supported())
        {
            float actual = 0;
            actual = format.Dot(weights, activations, level);
            Assert.True(Math.Abs(actual - expected) <= DotTolerance * magnitude,
                $"{name} x{count} at {level}: {actual} vs reference {expected} (magnitude {magnitude})");
        }
    }

    [Theory]
    [MemberData(nameof(FormatsAndCounts))]
    public void DotReferenceMatchesFloatDotOfDequantized(string name, int count)
    {
        KFormat format = KQuantTestData.ByName(name);
        byte[] weights = KQuantTestData.RandomBlocks(format, count, seed: 700 + count);
        byte[] activations = KQuantTestData.RandomActivations(count, seed: 800 + count);
        var w = new float[count * 256];
        var a = new float[count * 256];
        format.DequantizeReference(weights, w);
        Q8KBlock.DequantizeReference(activations, a);
        double expected = KQuantTestData.Dot(w, a);
        float actual = format.DotReference(weights, activations);
        Assert.True(Math.Abs(actual - expected) <= FloatDotTolerance * KQuantTestData.AbsDot(w, a),
            $"{name} x{count}: {actual} vs float dot {expected}");
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void DequantizeRejectsPartialBlocks(string name)
    {
        KFormat format = KQuantTestData.ByName(name);
        var blocks = new byte[format.BlockBytes + 1];
        Assert.Throws<InvalidDataException>(() => format.Dequantize(blocks, new float[512], SimdCapability.Best));
        Assert.Throws<InvalidDataException>(() => format.DequantizeReference(blocks, new float[512]));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void DequantizeRejectsShortDestination(string name)
    {
        KFormat format = KQuantTestData.ByName(name);
        var blocks = new byte[2 * format.BlockBytes];
        Assert.Throws<ArgumentException>(() => format.Dequantize(blocks, new float[511], SimdCapability.Best));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void DotRejectsMismatchedBlockCounts(string name)
    {
        KFormat format = KQuantTestData.ByName(name);
        var weights = new byte[2 * format.BlockBytes];
        var activations = new byte[3 * Q8KBlock.BlockBytes];
        Assert.Throws<InvalidDataException>(() => format.Dot(weights, activations, SimdCapability.Best));
        Assert.Throws<InvalidDataException>(() => format.DotReference(weights, activations));
    }

    private static double Magnitude(KFormat format, byte[] weights, byte[] activations)
    {
        var w = new float[weights.Length / format.BlockBytes * 256];
        var a = new float[w.Length];
        format.DequantizeReference(weights, w);
        Q8KBlock.DequantizeReference(activations, a);
        return KQuantTestData.AbsDot(w, a);
    }

    private static int FirstDifference(float[] expected, float[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                return i;
            }
        }
        return -1;
    }
}
