// ggml's Q8_0 block (fp16 d, 32 int8 quants; x = q * d): a weight format and the activation format of the Q4_0,
// Q5_0 and Q8_0 dots. Bit-exact with ggml-quants.c; not the matrix loop (callers dot one row at a time).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>Q8_0: 34-byte blocks of 32 elements, <c>{ half d; int8 qs[32]; }</c>.</summary>
public static class Q8_0Block
{
    public const int BlockSize = 32, BlockBytes = 34;
    private const string Name = "Q8_0";

    /// <summary>Scalar dequantize_row_q8_0: y[j] = qs[j] * d.</summary>
    public static void DequantizeReference(ReadOnlySpan<byte> blocks, Span<float> destination)
    {
        int count = RowLength.Count(blocks.Length, BlockBytes, Name, nameof(blocks));
        RowLength.Expect(destination.Length, count * BlockSize, Name, nameof(destination));
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> block = blocks.Slice(i * BlockBytes, BlockBytes);
            float d = Fp16Bits.Load(block, 0);
            for (int j = 0; j < BlockSize; j++)
            {
                destination[i * BlockSize + j] = (sbyte)block[2 + j] * d;
            }
        }
    }

    /// <summary>SIMD <see cref="DequantizeReference"/>, identical results.</summary>
    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> destination) =>
        Dequantize(blocks, destination, SimdCapability.Best);

    internal static unsafe void Dequantize(ReadOnlySpan<byte> blocks, Span<float> destination, SimdWidth width)
    {
        if (width == SimdWidth.Scalar)
        {
            DequantizeReference(blocks, destination);
            return;
        }

        int count = RowLength.Count(blocks.Length, BlockBytes, Name, nameof(blocks));
        RowLength.Expect(destination.Length, count * BlockSize, Name, nameof(destination));
        fixed (byte* b = blocks)
        fixed (float* y = destination)
        {
            BlockDequantize.Run<Kernel>(b, y, count, width);
        }
    }

    /// <summary>quantize_row_q8_0_ref: d = max|x| / 127, q = roundf(x / d).</summary>
    public static void QuantizeReference(ReadOnlySpan<float> source, Span<byte> blocks)
    {
        int count = RowLength.Count(source.Length, BlockSize, Name, nameof(source));
        RowLength.Expect(blocks.Length, count * BlockBytes, Name, nameof(blocks));
        for (int i = 0; i < count; i++)
        {
            Int8BlockQuantizer.QuantizeReference(source.Slice(i * BlockSize, BlockSize), blocks.Slice(i * BlockBytes, BlockBytes), quantsOffset: 2, sumOffset: -1);
        }
    }

    /// <summary>
    /// Activations as llama.cpp quantizes them on x86 (ggml-cpu's quantize_row_q8_0): id = 127 / max|x|, ties to
    /// even. The reference quantizer (1 / d, ties away) can pick the other neighbour of a value within an ulp of a
    /// half-integer, so matching llama.cpp's logits to the bit needs this twin. Scalar meaning.
    /// </summary>
    public static void QuantizeActivationsReference(ReadOnlySpan<float> source, Span<byte> blocks)
    {
        int count = RowLength.Count(source.Length, BlockSize, Name, nameof(source));
        RowLength.Expect(blocks.Length, count * BlockBytes, Name, nameof(blocks));
        for (int i = 0; i < count; i++)
        {
            Int8BlockQuantizer.QuantizeReference(source.Slice(i * BlockSize, BlockSize), blocks.Slice(i * BlockBytes, BlockBytes),
                quantsOffset: 2, sumOffset: -1, Int8Rounding.LlamaCppX86);
        }
    }

    /// <summary>SIMD <see cref="QuantizeActivationsReference"/>, identical bytes.</summary>
    public static void QuantizeActivations(ReadOnlySpan<float> source, Span<byte> blocks) => QuantizeActivations(source, blocks, SimdCapability.Best);

    internal static unsafe void QuantizeActivations(ReadOnlySpan<float> source, Span<byte> blocks, SimdWidth width)
    {
        if (width == SimdWidth.Scalar)
        {
            QuantizeActivationsReference(source, blocks);
            return;
        }

        int count = RowLength.Count(source.Length, BlockSize, Name, nameof(source));
        RowLength.Expect(blocks.Length, count * BlockBytes, Name, nameof(blocks));
        fixed (float* x = source)
        fixed (byte* b = blocks)
        {
            Int8BlockQuantizer.Run(x, b, count, BlockBytes, 2, -1, width, Int8Rounding.LlamaCppX86);
        }
    }

    /// <summary>SIMD <see cref="QuantizeReference"/>, identical bytes.</summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> blocks) => Quantize(source, blocks, SimdCapability.Best);

    internal static unsafe void Quantize(ReadOnlySpan<float> source, Span<byte> blocks, SimdWidth width)
    {
        if (width == SimdWidth.Scalar)
        {
            QuantizeReference(source, blocks);
            return;
        }

        int count = RowLength.Count(source.Length, BlockSize, Name, nameof(source));
        RowLength.Expect(blocks.Length, count * BlockBytes, Name, nameof(blocks));
        fixed (float* x = source)
        fixed (byte* b = blocks)
        {
            Int8BlockQuantizer.Run(x, b, count, BlockBytes, 2, -1, width);
        }
    }

    /// <summary>Scalar ggml_vec_dot_q8_0_q8_0: sum of sumi * (d_w * d_a) over blocks; activations are Q8_0.</summary>
    public static float DotReference(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks)
    {
        int count = RowLength.Count(weightBlocks.Length, BlockBytes, Name, nameof(weightBlocks));
        RowLength.Expect(activationBlocks.Length, count * BlockBytes, Name, nameof(activationBlocks));
        float sum = 0;
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> x = weightBlocks.Slice(i * BlockBytes, BlockBytes);
            ReadOnlySpan<byte> y = activationBlocks.Slice(i * BlockBytes, BlockBytes);
            int sumi = 0;
            for (int j = 0; j < BlockSize; j++)
            {
                sumi += (sbyte)x[2 + j] * (sbyte)y[2 + j];
            }

            sum += sumi * (Fp16Bits.Load(x, 0) * Fp16Bits.Load(y, 0));
        }

        return sum;
    }

    /// <summary>SIMD <see cref="DotReference"/>; equal within <see cref="QuantTolerances.DotRelative"/>.</summary>
    public static float Dot(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks) =>
        Dot(weightBlocks, activationBlocks, SimdCapability.Best);

    internal static unsafe float Dot(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks, SimdWidth width)
    {
        if (width == SimdWidth.Scalar)
        {
            return DotReference(weightBlocks, activationBlocks);
        }

        int count = RowLength.Count(weightBlocks.Length, BlockBytes, Name, nameof(weightBlocks));
        RowLength.Expect(activationBlocks.Length, count * BlockBytes, Name, nameof(activationBlocks));
        fixed (byte* w = weightBlocks)
        fixed (byte* a = activationBlocks)
        {
            return BlockDot.Run<Kernel, Kernel>(w, a, count, width);
        }
    }

    /// <summary>Q8_0 as both the weight and the activation side of the shared loops.</summary>
    internal readonly unsafe struct Kernel : IQuantBlock, IActivationBlock
    {
        public static int BlockBytes => Q8_0Block.BlockBytes;
        public static int QuantsOffset => 2;
        public static bool HasMin => false;
        public static int ScaleOffset => 0;
        public static int MinOffset => 0;
        public static int SumOffset => 0;
        public static bool QuantsAreUnsigned => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Scale(byte* block) => Fp16Bits.Load(block);

        public static float Min(byte* block) => 0;

        public static float Sum(byte* block) => 0;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<sbyte> QuantsLow(byte* block) => Vector128.Load((sbyte*)(block + 2));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<sbyte> QuantsHigh(byte* block) => Vector128.Load((sbyte*)(block + 18));

        public static int Quant(byte* block, int j) => ((sbyte*)(block + 2))[j];

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<sbyte> Quants(byte* block) => Vector256.Load((sbyte*)(block + 2));
    }
}
