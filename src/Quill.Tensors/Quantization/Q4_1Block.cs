// ggml's Q4_1 weight block (fp16 d and m, 16 bytes of nibbles; x = q * d + m), dotted with Q8_1 activations; bit-exact with ggml-quants.c.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>Q4_1: 20-byte blocks of 32 elements, <c>{ half d; half m; uint8 qs[16]; }</c>; element j is the low nibble of qs[j], element 16+j the high
/// one.</summary>
public static class Q4_1Block
{
    public const int BlockSize = 32, BlockBytes = 20;

    internal const int QuantsOffset = 4;

    /// <summary>Scalar dequantize_row_q4_1 (multiply, then add: never fused).</summary>
    public static void DequantizeReference(ReadOnlySpan<byte> blocks, Span<float> destination) =>
        BlockRow<Kernel>.DequantizeReference(blocks, destination);

    /// <summary>SIMD <see cref="DequantizeReference"/>, identical results.</summary>
    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> destination) =>
        Dequantize(blocks, destination, SimdCapability.Best);

    internal static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> destination, SimdWidth width) =>
        BlockRow<Kernel>.Dequantize(blocks, destination, width);

    /// <summary>quantize_row_q4_1_ref: d = (max - min) / 15, m = min, q = min(15, (int)((x - min)/d + 0.5)).</summary>
    public static void QuantizeReference(ReadOnlySpan<float> source, Span<byte> blocks) =>
        BlockRow<Kernel>.QuantizeReference(source, blocks);

    /// <summary>
    /// ggml's quantize_q4_1 with an importance matrix, for one row (quantize_row_q4_1_impl), byte for byte: each block's
    /// scale, min and levels from make_qkx3_quants(32, nmax 15) with weights importance · sqrt(σ² + x²), σ² the mean square
    /// of the whole row. <paramref name="importance"/> holds one weight per column (length = <paramref name="source"/>'s).
    /// </summary>
    public static void QuantizeWeighted(ReadOnlySpan<float> source, Span<byte> blocks, ReadOnlySpan<float> importance) =>
        WeightedLegacyRow.Quantize(source, blocks, importance, BlockBytes, Kernel.Format, static (x, weights, y) =>
        {
            Span<byte> levels = stackalloc byte[BlockSize];
            Span<byte> scratch = stackalloc byte[BlockSize];
            float d = ScaleSearch.MakeQkx3(BlockSize, 15, x, weights, levels, out float min, scratch, -0.9f, 0.05f, 36, false);
            Fp16Bits.Store(y, 0, d);
            Fp16Bits.Store(y, 2, -min);
            WeightedLegacyRow.PackNibbles(levels, y[QuantsOffset..]);
        });

    /// <summary>Scalar ggml_vec_dot_q4_1_q8_1: sum of (d_w * d_a) * sumi + m_w * s_a over blocks; activations are Q8_1.</summary>
    public static float DotReference(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks) =>
        BlockRow<Kernel>.DotReference<Q8_1Block.Kernel>(weightBlocks, activationBlocks);

    /// <summary>SIMD <see cref="DotReference"/>; equal within <see cref="QuantTolerances.DotRelative"/>.</summary>
    public static float Dot(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks) =>
        Dot(weightBlocks, activationBlocks, SimdCapability.Best);

    internal static float Dot(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks, SimdWidth width) =>
        BlockRow<Kernel>.Dot<Q8_1Block.Kernel>(weightBlocks, activationBlocks, width);

    /// <summary>Q4_1 for the shared loops and BlockRow (scalar references a block at a time): quants are the raw nibbles in [0, 15].</summary>
    internal readonly unsafe struct Kernel : IBlockFormat
    {
        public static string Format => "Q4_1";
        public static int BlockBytes => Q4_1Block.BlockBytes;
        public static bool HasMin => true;
        public static int ScaleOffset => 0;
        public static int MinOffset => 2;
        public static bool QuantsAreUnsigned => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Scale(byte* block) => Fp16Bits.Load(block);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Min(byte* block) => Fp16Bits.Load(block + 2);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<sbyte> QuantsLow(byte* block) => (Vector128.Load(block + QuantsOffset) & Vector128.Create((byte)0x0F)).AsSByte();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<sbyte> QuantsHigh(byte* block) => (Vector128.Load(block + QuantsOffset) >>> 4).AsSByte();

        public static int Quant(byte* block, int j) => j < 16 ? block[QuantsOffset + j] & 0x0F : block[QuantsOffset + j - 16] >> 4;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<sbyte> Quants(byte* block)
        {
            Vector128<byte> packed = Vector128.Load(block + QuantsOffset);
            return (Vector256.Create(packed, packed >>> 4) & Vector256.Create((byte)0x0F)).AsSByte();
        }

        public static void DequantizeReference(ReadOnlySpan<byte> block, Span<float> destination)
        {
            float d = Fp16Bits.Load(block, 0);
            float m = Fp16Bits.Load(block, 2);
            for (int j = 0; j < 16; j++)
            {
                destination[j] = (block[QuantsOffset + j] & 0x0F) * d + m;
                destination[j + 16] = (block[QuantsOffset + j] >> 4) * d + m;
            }
        }

        public static void QuantizeReference(ReadOnlySpan<float> x, Span<byte> block)
        {
            float min = float.MaxValue;
            float max = -float.MaxValue;
            for (int j = 0; j < BlockSize; j++)
            {
                if (x[j] < min)
                {
                    min = x[j];
                }

                if (x[j] > max)
                {
                    max = x[j];
                }
            }

            float d = (max - min) / 15;
            float id = d != 0 ? 1.0f / d : 0.0f;
            Fp16Bits.Store(block, 0, d);
            Fp16Bits.Store(block, 2, min);
            for (int j = 0; j < 16; j++)
            {
                int q0 = Math.Min(15, (int)((x[j] - min) * id + 0.5f));
                int q1 = Math.Min(15, (int)((x[j + 16] - min) * id + 0.5f));
                block[QuantsOffset + j] = (byte)(q0 | (q1 << 4));
            }
        }

        public static float DotReference(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
        {
            int sumi0 = 0;
            int sumi1 = 0;
            for (int j = 0; j < 16; j++)
            {
                sumi0 += (x[QuantsOffset + j] & 0x0F) * (sbyte)y[4 + j];
                sumi1 += (x[QuantsOffset + j] >> 4) * (sbyte)y[4 + j + 16];
            }

            return Fp16Bits.Load(x, 0) * Fp16Bits.Load(y, 0) * (sumi0 + sumi1) + Fp16Bits.Load(x, 2) * Fp16Bits.Load(y, 2);
        }
    }
}
