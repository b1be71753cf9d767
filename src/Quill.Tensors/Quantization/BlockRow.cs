// The public entry sequence every 32-element weight format shares (argument checks, block counting, width dispatch,
// pinning); no arithmetic: the scalar references stay in each format's Kernel, the SIMD loops in BlockDot / BlockDequantize.
using System.Runtime.CompilerServices;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// A 32-element weight format's name and scalar references, one block at a time, beside its SIMD unpacking
/// (<see cref="IQuantBlock"/>). Implemented by the small Kernel struct of each format so <see cref="BlockRow{TWeight}"/> specialises.
/// </summary>
internal interface IBlockFormat : IQuantBlock
{
    /// <summary>The ggml name used in error messages, e.g. "Q4_0".</summary>
    static abstract string Format { get; }

    /// <summary>ggml's scalar dequantize_row for one block of 32 elements.</summary>
    static abstract void DequantizeReference(ReadOnlySpan<byte> block, Span<float> destination);

    /// <summary>ggml's scalar quantize_row_*_ref for one block of 32 elements.</summary>
    static abstract void QuantizeReference(ReadOnlySpan<float> source, Span<byte> block);

    /// <summary>One block's term of ggml's scalar ggml_vec_dot (the generic C kernel), added to the row sum in block order.</summary>
    static abstract float DotReference(ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations);
}

/// <summary>Checks spans, pins them and picks the loop for a <see cref="SimdWidth"/>; one copy for all 32-element weight formats.</summary>
internal static unsafe class BlockRow<TWeight> where TWeight : struct, IBlockFormat
{
    private const int BlockSize = 32;

    public static void DequantizeReference(ReadOnlySpan<byte> blocks, Span<float> destination)
    {
        int count = CheckDequantize(blocks, destination);
        for (int i = 0; i < count; i++)
        {
            TWeight.DequantizeReference(blocks.Slice(i * TWeight.BlockBytes, TWeight.BlockBytes), destination.Slice(i * BlockSize, BlockSize));
        }
    }

    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> destination, SimdWidth width)
    {
        if (width == SimdWidth.Scalar)
        {
            DequantizeReference(blocks, destination);
            return;
        }

        int count = CheckDequantize(blocks, destination);
        fixed (byte* b = blocks)
        fixed (float* y = destination)
        {
            BlockDequantize.Run<TWeight>(b, y, count, width);
        }
    }

    public static void QuantizeReference(ReadOnlySpan<float> source, Span<byte> blocks)
    {
        int count = RowLength.Count(source.Length, BlockSize, TWeight.Format, nameof(source));
        RowLength.Expect(blocks.Length, count * TWeight.BlockBytes, TWeight.Format, nameof(blocks));
        for (int i = 0; i < count; i++)
        {
            TWeight.QuantizeReference(source.Slice(i * BlockSize, BlockSize), blocks.Slice(i * TWeight.BlockBytes, TWeight.BlockBytes));
        }
    }

    public static float DotReference<TActivation>(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks)
        where TActivation : struct, IActivationBlock
    {
        int count = CheckDot<TActivation>(weightBlocks, activationBlocks);
        float sum = 0;
        for (int i = 0; i < count; i++)
        {
            sum += TWeight.DotReference(
                weightBlocks.Slice(i * TWeight.BlockBytes, TWeight.BlockBytes),
                activationBlocks.Slice(i * TActivation.BlockBytes, TActivation.BlockBytes));
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot<TActivation>(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks, SimdWidth width)
        where TActivation : struct, IActivationBlock
    {
        if (width == SimdWidth.Scalar)
        {
            return DotReference<TActivation>(weightBlocks, activationBlocks);
        }

        int count = CheckDot<TActivation>(weightBlocks, activationBlocks);
        fixed (byte* w = weightBlocks)
        fixed (byte* a = activationBlocks)
        {
            return BlockDot.Run<TWeight, TActivation>(w, a, count, width);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CheckDequantize(ReadOnlySpan<byte> blocks, Span<float> destination)
    {
        int count = RowLength.Count(blocks.Length, TWeight.BlockBytes, TWeight.Format, nameof(blocks));
        RowLength.Expect(destination.Length, count * BlockSize, TWeight.Format, nameof(destination));
        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CheckDot<TActivation>(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks)
        where TActivation : struct, IActivationBlock
    {
        int count = RowLength.Count(weightBlocks.Length, TWeight.BlockBytes, TWeight.Format, nameof(weightBlocks));
        RowLength.Expect(activationBlocks.Length, count * TActivation.BlockBytes, TWeight.Format, nameof(activationBlocks));
        return count;
    }
}
