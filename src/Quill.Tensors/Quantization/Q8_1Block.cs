// ggml's Q8_1 block (fp16 d, fp16 s = d * sum(q), 32 int8 quants): the activations of the Q4_1 and Q5_1 dots; not a weight format (ggml has no Q8_1 dot).
using System.Runtime.CompilerServices;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>Q8_1: 36-byte blocks of 32 elements, <c>{ half d; half s; int8 qs[32]; }</c>.</summary>
public static class Q8_1Block
{
    public const int BlockSize = 32, BlockBytes = 36;

    /// <summary>quantize_row_q8_1_ref: as Q8_0, plus s = fp16(sum(q) * d).</summary>
    public static void QuantizeReference(ReadOnlySpan<float> source, Span<byte> blocks) =>
        Int8BlockRow<Kernel>.QuantizeReference(source, blocks, Int8Rounding.GgmlReference);

    /// <summary>
    /// Activations as llama.cpp quantizes them on x86 (ggml-cpu's quantize_row_q8_1): id = 127 / max|x|, ties to
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

    /// <summary>y[j] = qs[j] * d (s is redundant and ignored).</summary>
    public static void DequantizeReference(ReadOnlySpan<byte> blocks, Span<float> destination) =>
        Int8BlockRow<Kernel>.DequantizeReference(blocks, destination);

    /// <summary>Q8_1 as the activation side of the shared dot loop and Int8BlockRow.</summary>
    internal readonly unsafe struct Kernel : IInt8Block
    {
        public static string Format => "Q8_1";
        public static bool HasSum => true;
        public static int BlockBytes => Q8_1Block.BlockBytes;
        public static int QuantsOffset => 4;
        public static int ScaleOffset => 0;
        public static int SumOffset => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Scale(byte* block) => Fp16Bits.Load(block);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Sum(byte* block) => Fp16Bits.Load(block + 2);
    }
}
