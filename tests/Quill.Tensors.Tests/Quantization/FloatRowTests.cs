// Checks the F32 / F16 / BF16 row kernels' SIMD paths against their scalar references at every width.
using System.Runtime.InteropServices;
using Quill.Tensors.Quantization;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Tests.Quantization;

public class FloatRowTests
{
    private delegate void DequantizeAt(ReadOnlySpan<byte> source, Span<float> destination, SimdWidth width);
    private delegate void QuantizeAt(ReadOnlySpan<float> source, Span<byte> destination, SimdWidth width);
    private delegate float DotAt(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, SimdWidth width);

    private sealed record RowCase(int ElementBytes, RowConvert DequantizeReference, DequantizeAt Dequantize,
        RowQuantize QuantizeReference, QuantizeAt Quantize, RowDot DotReference, DotAt Dot);

    private static readonly Dictionary<string, RowCase> Cases = new()
    {
        ["F32"] = new(4, F32Row.DequantizeReference, (s, d, _) => F32Row.Dequantize(s, d), F32Row.QuantizeReference,
            (s, d, _) => F32Row.Quantize(s, d), F32Row.DotReference, F32Row.Dot),
        ["F16"] = new(2, F16Row.DequantizeReference, F16Row.Dequantize, F16Row.QuantizeReference, F16Row.Quantize,
            F16Row.DotReference, F16Row.Dot),
        ["BF16"] = new(2, BF16Row.DequantizeReference, BF16Row.Dequantize, BF16Row.QuantizeReference, BF16Row.Quantize,
            BF16Row.DotReference, BF16Row.Dot),
    };

    /// <summary>Odd lengths too: float rows have no blocks, so the scalar tails must be exercised.</summary>
    private static readonly int[] Lengths = [0, 1, 7, 15, 31, 33, 256, 4097, 131104];

    public static TheoryData<string, int, string> CasesLengthsAndWidths()
    {
        var data = new TheoryData<string, int, string>();
        foreach (string name in Cases.Keys)
        {
            foreach (int length in Lengths)
            {
                foreach (string width in QuantTestData.Widths())
                {
                    data.Add(name, length, width);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CasesLengthsAndWidths))]
    public void Quantize_EqualsReferenceBytes(string format, int elements, string width)
    {
        RowCase c = Cases[format];
        float[] source = QuantTestData.Floats(elements, seed: 31);
        var expected = new byte[elements * c.ElementBytes];
        var actual = new byte[expected.Length];
        c.QuantizeReference(source, expected);
        c.Quantize(source, actual, QuantTestData.Width(width));
        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(CasesLengthsAndWidths))]
    public void Dequantize_RandomBits_EqualsReferenceBitForBit(string format, int elements, string width)
    {
        RowCase c = Cases[format];
        var row = new byte[elements * c.ElementBytes];
        new Random(32).NextBytes(row);
        var expected = new float[elements];
        var actual = new float[elements];
        c.DequantizeReference(row, expected);
        c.Dequantize(row, actual, QuantTestData.Width(width));
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [MemberData(nameof(CasesLengthsAndWidths))]
    public void Dot_MatchesReferenceWithinTolerance(string format, int elements, string width)
    {
        RowCase c = Cases[format];
        var weights = new byte[elements * c.ElementBytes];
        c.QuantizeReference(QuantTestData.Floats(elements, seed: 33), weights);
        float[] x = QuantTestData.Floats(elements, seed: 34);
        byte[] activations = MemoryMarshal.AsBytes(x.AsSpan()).ToArray();
        var w = new float[elements];
        c.DequantizeReference(weights, w);
        double magnitude = w.Zip(x, (a, b) => Math.Abs((double)a * b)).Sum();
        double exact = w.Zip(x, (a, b) => (double)a * b).Sum();
        float expected = c.DotReference(weights, activations);
        float actual = c.Dot(weights, activations, QuantTestData.Width(width));
        Assert.True(QuantTestData.RelativeError(expected, exact, magnitude) <= 1e-7, $"reference {expected} vs exact {exact}");
        Assert.True(QuantTestData.RelativeError(actual, expected, magnitude) <= QuantTolerances.DotRelative,
            $"{format} x{elements} at {width}: dot {actual}, reference {expected}, sum|wx| {magnitude}");
    }

    public static TheoryData<int, string> VectorLengthsAndWidths()
    {
        var data = new TheoryData<int, string>();
        foreach (int length in Lengths)
        {
            foreach (string width in QuantTestData.Widths().Where(w => w is "Vector256" or "Vector512"))
            {
                data.Add(length, width);
            }
        }

        return data;
    }

    /// <summary>
    /// The F32 dot at 256 and 512 bits in llama.cpp's tinyBLAS order, bit for bit: one accumulator of 8 or 16 lanes, a
    /// fused multiply-add per chunk, lanes summed by halving (upper half plus lower half), then the tail in float.
    /// </summary>
    [Theory]
    [MemberData(nameof(VectorLengthsAndWidths))]
    public void F32Dot_FollowsTinyBlasOrderBitForBit(int elements, string width)
    {
        float[] w = QuantTestData.Floats(elements, seed: 36), x = QuantTestData.Floats(elements, seed: 37);
        int lanes = width == "Vector512" ? 16 : 8;
        var acc = new float[lanes];
        int i = 0;
        for (; i + lanes <= elements; i += lanes)
        {
            for (int l = 0; l < lanes; l++)
            {
                acc[l] = MathF.FusedMultiplyAdd(w[i + l], x[i + l], acc[l]);
            }
        }

        for (int half = lanes / 2; half >= 1; half /= 2)
        {
            for (int l = 0; l < half; l++)
            {
                acc[l] += acc[l + half];
            }
        }

        float expected = acc[0];
        for (; i < elements; i++)
        {
            expected += w[i] * x[i];
        }

        float actual = F32Row.Dot(MemoryMarshal.AsBytes(w.AsSpan()), MemoryMarshal.AsBytes(x.AsSpan()), QuantTestData.Width(width));
        Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(actual));
    }

    [Fact]
    public void F16Row_RoundTripsThroughSystemHalf()
    {
        float[] source = QuantTestData.Floats(1000, seed: 35);
        var row = new byte[2000];
        F16Row.Quantize(source, row);
        var back = new float[1000];
        F16Row.Dequantize(row, back);
        Assert.Equal(source.Select(v => (float)(Half)v), back);
    }

    [Fact]
    public void Dot_MismatchedLengths_Throw()
    {
        Assert.Throws<ArgumentException>(() => F16Row.Dot(new byte[8], new byte[12]));
        Assert.Throws<ArgumentException>(() => BF16Row.DotReference(new byte[7], new byte[14]));
        Assert.Throws<ArgumentException>(() => F32Row.Dot(new byte[8], new byte[12]));
        Assert.Throws<ArgumentException>(() => F16Row.Quantize(new float[4], new byte[7]));
    }
}
