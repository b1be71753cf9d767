// ggml's Q4_0 weight block (fp16 d, 16 bytes of nibbles; x = (q - 8) * d), dotted with Q8_0 activations; bit-exact with ggml-quants.c.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>Q4_0: 18-byte blocks of 32 elements, <c>{ half d; uint8 qs[16]; }</c>; element j is the low nibble of qs[j], element 16+j the high one.</summary>
public static class Q4_0Block
{
    public const int BlockSize = 32, BlockBytes = 18;

    internal const int QuantsOffset = 2;

    /// <summary>Scalar dequantize_row_q4_0.</summary>
    public static void DequantizeReference(ReadOnlySpan<byte> blocks, Span<float> destination) =>
        BlockRow<Kernel>.DequantizeReference(blocks, destination);

    /// <summary>SIMD <see cref="DequantizeReference"/>, identical results.</summary>
    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> destination) =>
        Dequantize(blocks, destination, SimdCapability.Best);

    internal static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> destination, SimdWidth width) =>
        BlockRow<Kernel>.Dequantize(blocks, destination, width);

    /// <summary>quantize_row_q4_0_ref: d = (the signed value of largest magnitude) / -8, q = min(15, (int)(x/d + 8.5)).</summary>
    public static void QuantizeReference(ReadOnlySpan<float> source, Span<byte> blocks) =>
        BlockRow<Kernel>.QuantizeReference(source, blocks);

    /// <summary>
    /// ggml's quantize_q4_0 with an importance matrix, for one row (quantize_row_q4_0_impl), byte for byte: each block's
    /// scale and levels from make_qx_quants(32, nmax 8) with weights importance · sqrt(σ² + x²), σ² the mean square of the
    /// whole row. <paramref name="importance"/> holds one weight per column (length = <paramref name="source"/>'s).
    /// </summary>
    public static void QuantizeWeighted(ReadOnlySpan<float> source, Span<byte> blocks, ReadOnlySpan<float> importance) =>
        WeightedLegacyRow.Quantize(source, blocks, importance, BlockBytes, Kernel.Format, static (x, weights, y) =>
        {
            Span<sbyte> levels = stackalloc sbyte[BlockSize];
            Fp16Bits.Store(y, 0, ScaleSearch.MakeQx(BlockSize, 8, x, levels, weights));
            WeightedLegacyRow.PackNibbles(MemoryMarshal.AsBytes(levels), y[QuantsOffset..]);
        });

    /// <summary>Scalar ggml_vec_dot_q4_0_q8_0: sum of sumi * d_w * d_a over blocks; activations are Q8_0.</summary>
    public static float DotReference(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks) =>
        BlockRow<Kernel>.DotReference<Q8_0Block.Kernel>(weightBlocks, activationBlocks);

    /// <summary>SIMD <see cref="DotReference"/>; equal within <see cref="QuantTolerances.DotRelative"/>.</summary>
    public static float Dot(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks) =>
        Dot(weightBlocks, activationBlocks, SimdCapability.Best);

    internal static float Dot(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks, SimdWidth width) =>
        BlockRow<Kernel>.Dot<Q8_0Block.Kernel>(weightBlocks, activationBlocks, width);

    /// <summary>Q4_0 for the shared loops and BlockRow (scalar references a block at a time): quants are q - 8 in [-8, 7].</summary>
    internal readonly unsafe struct Kernel : IBlockFormat
    {
        public static string Format => "Q4_0";
        public static int BlockBytes => Q4_0Block.BlockBytes;
        public static bool HasMin => false;
        public static int ScaleOffset => 0;
        public static int MinOffset => 0;
        public static bool QuantsAreUnsigned => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Scale(byte* block) => Fp16Bits.Load(block);

        public static float Min(byte* block) => 0;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<sbyte> QuantsLow(byte* block) =>
            ((Vector128.Load(block + QuantsOffset) & Vector128.Create((byte)0x0F)) - Vector128.Create((byte)8)).AsSByte();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<sbyte> QuantsHigh(byte* block) =>
            ((Vector128.Load(block + QuantsOffset) >>> 4) - Vector128.Create((byte)8)).AsSByte();

        public static int Quant(byte* block, int j) => (j < 16 ? block[QuantsOffset + j] & 0x0F : block[QuantsOffset + j - 16] >> 4) - 8;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<sbyte> Quants(byte* block)
        {
            Vector128<byte> packed = Vector128.Load(block + QuantsOffset);
            Vector256<byte> nibbles = Vector256.Create(packed, packed >>> 4) & Vector256.Create((byte)0x0F);
            return (nibbles - Vector256.Create((byte)8)).AsSByte();
        }

        public static void DequantizeReference(ReadOnlySpan<byte> block, Span<float> destination)
        {
            float d = Fp16Bits.Load(block, 0);
            for (int j = 0; j < 16; j++)
            {
                destination[j] = ((block[QuantsOffset + j] & 0x0F) - 8) * d;
                destination[j + 16] = ((block[QuantsOffset + j] >> 4) - 8) * d;
            }
        }

        public static void QuantizeReference(ReadOnlySpan<float> x, Span<byte> block)
        {
            float amax = 0;
            float max = 0;
            for (int j = 0; j < BlockSize; j++)
            {
                if (amax < MathF.Abs(x[j]))
                {
                    amax = MathF.Abs(x[j]);
                    max = x[j];
                }
            }

            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            Fp16Bits.Store(block, 0, d);
            for (int j = 0; j < 16; j++)
            {
                int q0 = Math.Min(15, (int)(x[j] * id + 8.5f));
                int q1 = Math.Min(15, (int)(x[j + 16] * id + 8.5f));
                block[QuantsOffset + j] = (byte)(q0 | (q1 << 4));
            }
        }

        public static float DotReference(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
        {
            int sumi0 = 0;
            int sumi1 = 0;
            for (int j = 0; j < 16; j++)
            {
                sumi0 += ((x[QuantsOffset + j] & 0x0F) - 8) * (sbyte)y[2 + j];
                sumi1 += ((x[QuantsOffset + j] >> 4) - 8) * (sbyte)y[2 + j + 16];
            }

            return (sumi0 + sumi1) * Fp16Bits.Load(x, 0) * Fp16Bits.Load(y, 0);
        }
    }
}
