// ggml's Q8_0 block (fp16 d, 32 int8 quants; x = q * d): a weight format and the activations of the Q4_0, Q5_0 and Q8_0 dots; bit-exact with ggml-quants.c.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>Q8_0: 34-byte blocks of 32 elements, <c>{ half d; int8 qs[32]; }</c>.</summary>
public static class Q8_0Block
{
    public const int BlockSize = 32, BlockBytes = 34;

    /// <summary>Scalar dequantize_row_q8_0: y[j] = qs[j] * d.</summary>
    public static void DequantizeReference(ReadOnlySpan<byte> blocks, Span<float> destination) =>
        BlockRow<Kernel>.DequantizeReference(blocks, destination);

    /// <summary>SIMD <see cref="DequantizeReference"/>, identical results.</summary>
    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> destination) =>
        Dequantize(blocks, destination, SimdCapability.Best);

    internal static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> destination, SimdWidth width) =>
        BlockRow<Kernel>.Dequantize(blocks, destination, width);

    /// <summary>quantize_row_q8_0_ref: d = max|x| / 127, q = roundf(x / d).</summary>
    public static void QuantizeReference(ReadOnlySpan<float> source, Span<byte> blocks) =>
        BlockRow<Kernel>.QuantizeReference(source, blocks);

    /// <summary>
    /// ggml's quantize_q8_0 with an importance matrix: ggml ignores it, so these are the bytes of <see cref="QuantizeReference"/>.
    /// <paramref name="importance"/> must still hold one weight per column (length = <paramref name="source"/>'s).
    /// </summary>
    public static void QuantizeWeighted(ReadOnlySpan<float> source, Span<byte> blocks, ReadOnlySpan<float> importance)
    {
        RowLength.Expect(importance.Length, source.Length, Kernel.Format, nameof(importance));
        Quantize(source, blocks);
    }

    /// <summary>
    /// Activations as llama.cpp quantizes them on x86 (ggml-cpu's quantize_row_q8_0): id = 127 / max|x|, ties to
    /// even. The reference quantizer (1 / d, ties away) can pick the other neighbour of a value within an ulp of a
    /// half-integer, so matching llama.cpp's logits to the bit needs this twin. Scalar meaning.
    /// </summary>
    public static void QuantizeActivationsReference(ReadOnlySpan<float> source, Span<byte> blocks) =>
        Int8BlockRow<Kernel>.QuantizeReference(source, blocks, Int8Rounding.LlamaCppX86);

    /// <summary>SIMD <see cref="QuantizeActivationsReference"/>, identical bytes.</summary>
    public static void QuantizeActivations(ReadOnlySpan<float> source, Span<byte> blocks) => QuantizeActivations(source, blocks, SimdCapability.Best);

    internal static void QuantizeActivations(ReadOnlySpan<float> source, Span<byte> blocks, SimdWidth width) =>
        Int8BlockRow<Kernel>.Quantize(source, blocks, width, Int8Rounding.LlamaCppX86);

    /// <summary>SIMD <see cref="QuantizeReference"/>, identical bytes.</summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> blocks) => Quantize(source, blocks, SimdCapability.Best);

    internal static void Quantize(ReadOnlySpan<float> source, Span<byte> blocks, SimdWidth width) =>
        Int8BlockRow<Kernel>.Quantize(source, blocks, width, Int8Rounding.GgmlReference);

    /// <summary>Scalar ggml_vec_dot_q8_0_q8_0: sum of sumi * (d_w * d_a) over blocks; activations are Q8_0.</summary>
    public static float DotReference(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks) =>
        BlockRow<Kernel>.DotReference<Kernel>(weightBlocks, activationBlocks);

    /// <summary>SIMD <see cref="DotReference"/>; equal within <see cref="QuantTolerances.DotRelative"/>.</summary>
    public static float Dot(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks) =>
        Dot(weightBlocks, activationBlocks, SimdCapability.Best);

    internal static float Dot(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks, SimdWidth width) =>
        BlockRow<Kernel>.Dot<Kernel>(weightBlocks, activationBlocks, width);

    /// <summary>Q8_0 as both the weight and the activation side of the shared loops, BlockRow and Int8BlockRow.</summary>
    internal readonly unsafe struct Kernel : IBlockFormat, IInt8Block
    {
        public static string Format => "Q8_0";
        public static bool HasSum => false;
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

        public static void DequantizeReference(ReadOnlySpan<byte> block, Span<float> destination) =>
            Int8BlockQuantizer.DequantizeReference(block, destination, QuantsOffset);

        public static void QuantizeReference(ReadOnlySpan<float> source, Span<byte> block) =>
            Int8BlockQuantizer.QuantizeReference(source, block, QuantsOffset, sumOffset: -1);

        public static float DotReference(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
        {
            int sumi = 0;
            for (int j = 0; j < BlockSize; j++)
            {
                sumi += (sbyte)x[2 + j] * (sbyte)y[2 + j];
            }

            return sumi * (Fp16Bits.Load(x, 0) * Fp16Bits.Load(y, 0));
        }
    }
}
