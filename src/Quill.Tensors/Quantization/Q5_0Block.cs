// ggml's Q5_0 weight block (fp16 d, 32 fifth bits, 16 bytes of nibbles; x = (q - 16) * d), dotted with Q8_0 activations; bit-exact with ggml-quants.c.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// Q5_0: 22-byte blocks of 32 elements, <c>{ half d; uint8 qh[4]; uint8 qs[16]; }</c>; element j's low four bits are
/// the low nibble of qs[j] (element 16+j: the high nibble) and its fifth bit is bit j of the little-endian qh.
/// </summary>
public static class Q5_0Block
{
    public const int BlockSize = 32, BlockBytes = 22;
    internal const int QhOffset = 2, QsOffset = 6;

    /// <summary>Scalar dequantize_row_q5_0.</summary>
    public static void DequantizeReference(ReadOnlySpan<byte> blocks, Span<float> destination) =>
        BlockRow<Kernel>.DequantizeReference(blocks, destination);

    /// <summary>SIMD <see cref="DequantizeReference"/>, identical results.</summary>
    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> destination) =>
        Dequantize(blocks, destination, SimdCapability.Best);

    internal static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> destination, SimdWidth width) =>
        BlockRow<Kernel>.Dequantize(blocks, destination, width);

    /// <summary>quantize_row_q5_0_ref: d = (the signed value of largest magnitude) / -16, q = min(31, (int)(x/d + 16.5)).</summary>
    public static void QuantizeReference(ReadOnlySpan<float> source, Span<byte> blocks) =>
        BlockRow<Kernel>.QuantizeReference(source, blocks);

    /// <summary>
    /// ggml's quantize_q5_0 with an importance matrix, for one row (quantize_row_q5_0_impl), byte for byte: each block's
    /// scale and levels from make_qx_quants(32, nmax 16) with weights importance · sqrt(σ² + x²), σ² the mean square of the whole row.
    /// <paramref name="importance"/> holds one weight per column (length = <paramref name="source"/>'s).
    /// </summary>
    public static void QuantizeWeighted(ReadOnlySpan<float> source, Span<byte> blocks, ReadOnlySpan<float> importance) =>
        WeightedLegacyRow.Quantize(source, blocks, importance, BlockBytes, Kernel.Format, static (x, weights, y) =>
        {
            Span<sbyte> levels = stackalloc sbyte[BlockSize];
            Fp16Bits.Store(y, 0, ScaleSearch.MakeQx(BlockSize, 16, x, levels, weights));
            WeightedLegacyRow.PackFiveBits(MemoryMarshal.AsBytes(levels), y[QsOffset..], y.Slice(QhOffset, 4));
        });

    /// <summary>Scalar ggml_vec_dot_q5_0_q8_0: sum of (d_w * d_a) * sumi over blocks; activations are Q8_0.</summary>
    public static float DotReference(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks) =>
        BlockRow<Kernel>.DotReference<Q8_0Block.Kernel>(weightBlocks, activationBlocks);

    /// <summary>SIMD <see cref="DotReference"/>; equal within <see cref="QuantTolerances.DotRelative"/>.</summary>
    public static float Dot(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks) =>
        Dot(weightBlocks, activationBlocks, SimdCapability.Best);

    internal static float Dot(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks, SimdWidth width) =>
        BlockRow<Kernel>.Dot<Q8_0Block.Kernel>(weightBlocks, activationBlocks, width);

    /// <summary>Q5_0 for the shared loops and BlockRow (scalar references a block at a time): quants are q - 16 in [-16, 15].</summary>
    internal readonly unsafe struct Kernel : IBlockFormat
    {
        public static string Format => "Q5_0";
        public static int BlockBytes => Q5_0Block.BlockBytes;
        public static bool HasMin => false;
        public static int ScaleOffset => 0;
        public static int MinOffset => 0;
        public static bool QuantsAreUnsigned => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Scale(byte* block) => Fp16Bits.Load(block);

        public static float Min(byte* block) => 0;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<sbyte> QuantsLow(byte* block) =>
            (((Vector128.Load(block + QsOffset) & Vector128.Create((byte)0x0F)) | Q5HighBits.Low(Unsafe.ReadUnaligned<uint>(block + QhOffset)))
                - Vector128.Create((byte)16)).AsSByte();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<sbyte> QuantsHigh(byte* block) =>
            (((Vector128.Load(block + QsOffset) >>> 4) | Q5HighBits.High(Unsafe.ReadUnaligned<uint>(block + QhOffset)))
                - Vector128.Create((byte)16)).AsSByte();

        public static int Quant(byte* block, int j) => Q5HighBits.Quant(block + QsOffset, Unsafe.ReadUnaligned<uint>(block + QhOffset), j) - 16;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<sbyte> Quants(byte* block)
        {
            Vector128<byte> packed = Vector128.Load(block + QsOffset);
            Vector256<byte> nibbles = Vector256.Create(packed, packed >>> 4) & Vector256.Create((byte)0x0F);
            return ((nibbles | Q5HighBits.All(Unsafe.ReadUnaligned<uint>(block + QhOffset))) - Vector256.Create((byte)16)).AsSByte();
        }

        public static void DequantizeReference(ReadOnlySpan<byte> block, Span<float> destination)
        {
            float d = Fp16Bits.Load(block, 0);
            uint qh = MemoryMarshal.Read<uint>(block[QhOffset..]);
            for (int j = 0; j < 16; j++)
            {
                int xh0 = (int)((qh >> j) << 4) & 0x10;
                int xh1 = (int)(qh >> (j + 12)) & 0x10;
                destination[j] = (((block[QsOffset + j] & 0x0F) | xh0) - 16) * d;
                destination[j + 16] = (((block[QsOffset + j] >> 4) | xh1) - 16) * d;
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

            float d = max / -16;
            float id = d != 0 ? 1.0f / d : 0.0f;
            Fp16Bits.Store(block, 0, d);
            uint qh = 0;
            for (int j = 0; j < 16; j++)
            {
                int q0 = Math.Min(31, (int)(x[j] * id + 16.5f));
                int q1 = Math.Min(31, (int)(x[j + 16] * id + 16.5f));
                block[QsOffset + j] = (byte)((q0 & 0x0F) | ((q1 & 0x0F) << 4));
                qh |= (uint)((q0 & 0x10) >> 4) << j;
                qh |= (uint)((q1 & 0x10) >> 4) << (j + 16);
            }

            MemoryMarshal.Write(block[QhOffset..], in qh);
        }

        public static float DotReference(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
        {
            uint qh = MemoryMarshal.Read<uint>(x[QhOffset..]);
            int sumi0 = 0;
            int sumi1 = 0;
            for (int j = 0; j < 16; j++)
            {
                int xh0 = (int)((qh >> j) << 4) & 0x10;
                int xh1 = (int)(qh >> (j + 12)) & 0x10;
                sumi0 += (((x[QsOffset + j] & 0x0F) | xh0) - 16) * (sbyte)y[2 + j];
                sumi1 += (((x[QsOffset + j] >> 4) | xh1) - 16) * (sbyte)y[2 + j + 16];
            }

            return Fp16Bits.Load(x, 0) * Fp16Bits.Load(y, 0) * (sumi0 + sumi1);
        }
    }
}
