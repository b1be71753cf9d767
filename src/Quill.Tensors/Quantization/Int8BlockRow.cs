// The public entry sequence Q8_0 and Q8_1 share as activation formats (checks, block counts, width dispatch, pinning); Q8_0 as weights goes through BlockRow.
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>An int8 activation block format's name and whether it stores s = d * sum(q), beside its layout (<see cref="IActivationBlock"/>).</summary>
internal interface IInt8Block : IActivationBlock
{
    /// <summary>The ggml name used in error messages, e.g. "Q8_1".</summary>
    static abstract string Format { get; }

    /// <summary>True when the block stores fp16(d * sum(q)) at <see cref="IActivationBlock.SumOffset"/> (Q8_1).</summary>
    static abstract bool HasSum { get; }
}

/// <summary>Checks spans, pins them and runs <see cref="Int8BlockQuantizer"/> over a row; one copy for Q8_0 and Q8_1.</summary>
internal static unsafe class Int8BlockRow<TBlock> where TBlock : struct, IInt8Block
{
    private const int BlockSize = 32;

    private static int SumOffset => TBlock.HasSum ? TBlock.SumOffset : -1;

    public static void QuantizeReference(ReadOnlySpan<float> source, Span<byte> blocks, Int8Rounding rounding)
    {
        int count = CheckQuantize(source, blocks);
        for (int i = 0; i < count; i++)
        {
            Int8BlockQuantizer.QuantizeReference(source.Slice(i * BlockSize, BlockSize), blocks.Slice(i * TBlock.BlockBytes, TBlock.BlockBytes),
                TBlock.QuantsOffset, SumOffset, rounding);
        }
    }

    public static void Quantize(ReadOnlySpan<float> source, Span<byte> blocks, SimdWidth width, Int8Rounding rounding)
    {
        if (width == SimdWidth.Scalar)
        {
            QuantizeReference(source, blocks, rounding);
            return;
        }

        int count = CheckQuantize(source, blocks);
        fixed (float* x = source)
        fixed (byte* b = blocks)
        {
            Int8BlockQuantizer.Run(x, b, count, TBlock.BlockBytes, TBlock.QuantsOffset, SumOffset, width, rounding);
        }
    }

    public static void DequantizeReference(ReadOnlySpan<byte> blocks, Span<float> destination)
    {
        int count = RowLength.Count(blocks.Length, TBlock.BlockBytes, TBlock.Format, nameof(blocks));
        RowLength.Expect(destination.Length, count * BlockSize, TBlock.Format, nameof(destination));
        for (int i = 0; i < count; i++)
        {
            Int8BlockQuantizer.DequantizeReference(blocks.Slice(i * TBlock.BlockBytes, TBlock.BlockBytes), destination.Slice(i * BlockSize, BlockSize),
                TBlock.QuantsOffset);
        }
    }

    private static int CheckQuantize(ReadOnlySpan<float> source, Span<byte> blocks)
    {
        int count = RowLength.Count(source.Length, BlockSize, TBlock.Format, nameof(source));
        RowLength.Expect(blocks.Length, count * TBlock.BlockBytes, TBlock.Format, nameof(blocks));
        return count;
    }
}
