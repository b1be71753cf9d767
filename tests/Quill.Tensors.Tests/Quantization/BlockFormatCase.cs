// One row of the table of 32-element block formats the shared tests run over; not the tests themselves.
using Quill.Tensors.Quantization;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Tests.Quantization;

internal delegate void DequantizeAt(ReadOnlySpan<byte> blocks, Span<float> destination, SimdWidth width);
internal delegate void DequantizeRow(ReadOnlySpan<byte> blocks, Span<float> destination);
internal delegate void QuantizeRow(ReadOnlySpan<float> source, Span<byte> blocks);
internal delegate float DotAt(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, SimdWidth width);
internal delegate float DotRow(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations);

/// <summary>A weight block format and its activation format, as delegates to the code under test.</summary>
internal sealed record BlockFormatCase(
    string Name,
    int BlockBytes,
    int ActivationBlockBytes,
    DequantizeRow DequantizeReference,
    DequantizeAt Dequantize,
    QuantizeRow QuantizeReference,
    DotRow DotReference,
    DotAt Dot,
    QuantizeRow QuantizeActivations,
    DequantizeRow DequantizeActivations)
{
    public static readonly BlockFormatCase[] All =
    [
        new("Q8_0", Q8_0Block.BlockBytes, Q8_0Block.BlockBytes,
            Q8_0Block.DequantizeReference, Q8_0Block.Dequantize, Q8_0Block.QuantizeReference,
            Q8_0Block.DotReference, Q8_0Block.Dot, Q8_0Block.QuantizeReference, Q8_0Block.DequantizeReference),
        new("Q4_0", Q4_0Block.BlockBytes, Q8_0Block.BlockBytes,
            Q4_0Block.DequantizeReference, Q4_0Block.Dequantize, Q4_0Block.QuantizeReference,
            Q4_0Block.DotReference, Q4_0Block.Dot, Q8_0Block.QuantizeReference, Q8_0Block.DequantizeReference),
        new("Q4_1", Q4_1Block.BlockBytes, Q8_1Block.BlockBytes,
            Q4_1Block.DequantizeReference, Q4_1Block.Dequantize, Q4_1Block.QuantizeReference,
            Q4_1Block.DotReference, Q4_1Block.Dot, Q8_1Block.QuantizeReference, Q8_1Block.DequantizeReference),
        new("Q5_0", Q5_0Block.BlockBytes, Q8_0Block.BlockBytes,
            Q5_0Block.DequantizeReference, Q5_0Block.Dequantize, Q5_0Block.QuantizeReference,
            Q5_0Block.DotReference, Q5_0Block.Dot, Q8_0Block.QuantizeReference, Q8_0Block.DequantizeReference),
        new("Q5_1", Q5_1Block.BlockBytes, Q8_1Block.BlockBytes,
            Q5_1Block.DequantizeReference, Q5_1Block.Dequantize, Q5_1Block.QuantizeReference,
            Q5_1Block.DotReference, Q5_1Block.Dot, Q8_1Block.QuantizeReference, Q8_1Block.DequantizeReference),
    ];

    public static BlockFormatCase Get(string name) => All.Single(c => c.Name == name);

    /// <summary>Every (format, row length, width) triple.</summary>
    public static TheoryData<string, int, string> FormatsLengthsAndWidths()
    {
        var data = new TheoryData<string, int, string>();
        foreach (BlockFormatCase format in All)
        {
            foreach (int length in QuantTestData.RowLengths)
            {
                foreach (string width in QuantTestData.Widths())
                {
                    data.Add(format.Name, length, width);
                }
            }
        }

        return data;
    }

    /// <summary>Every (format, row length) pair.</summary>
    public static TheoryData<string, int> FormatsAndLengths()
    {
        var data = new TheoryData<string, int>();
        foreach (BlockFormatCase format in All)
        {
            foreach (int length in QuantTestData.RowLengths)
            {
                data.Add(format.Name, length);
            }
        }

        return data;
    }
}
