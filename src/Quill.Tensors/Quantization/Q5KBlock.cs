// ggml's Q5_K weight blocks: quantize (plain and importance-weighted), dequantize, dot with Q8_K activations (scalar and AVX2/Vector128 kernels).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// Q5_K: 256 weights in 8 sub-blocks of 32, 5.5 bits per weight. Layout of one 176-byte block:
/// <c>half d; half dmin; byte scales[12]; byte qh[32]; byte qs[128]</c>. Scales and mins are packed as in Q4_K;
/// weight = d * scale[s] * q - dmin * min[s] with q = nibble + 16 * (bit s of qh[l]) for weight 32s + l.
/// </summary>
public static class Q5KBlock
{
    public const int BlockSize = 256, BlockBytes = 176;

    private const string Format = "Q5_K";
    internal const int ScalesOffset = 4, HighOffset = 16, QuantsOffset = 48;

    /// <summary>Scalar dequantizer, bit-exact with ggml's dequantize_row_q5_K.</summary>
    public static void DequantizeReference(ReadOnlySpan<byte> blocks, Span<float> destination) =>
        KQuantRow<Kernels>.DequantizeReference(blocks, destination);

    /// <summary>Vectorized dequantizer with exactly the results of <see cref="DequantizeReference"/>.</summary>
    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> destination) =>
        KQuantRow<Kernels>.Dequantize(blocks, destination, SimdCapability.Best);

    /// <summary><see cref="Dequantize(ReadOnlySpan{byte}, Span{float})"/> with the kernels of <paramref name="level"/> (for tests).</summary>
    internal static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> destination, SimdWidth level) =>
        KQuantRow<Kernels>.Dequantize(blocks, destination, level);

    /// <summary>
    /// Scalar dot product with Q8_K activations, bit-exact with ggml_vec_dot_q5_K_q8_K_generic (same integer sums, same
    /// eight float lanes, same summation order).
    /// </summary>
    public static float DotReference(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks) =>
        KQuantRow<Kernels>.DotReference(weightBlocks, activationBlocks);

    /// <summary>
    /// SIMD dot product with Q8_K activations (mins applied through the activation group sums). Integer sums are exact;
    /// only float summation order differs from <see cref="DotReference"/>. Allocates nothing.
    /// </summary>
    public static float Dot(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks) =>
        KQuantRow<Kernels>.Dot(weightBlocks, activationBlocks, SimdCapability.Best);

    /// <summary><see cref="Dot(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> with the kernels of <paramref name="level"/> (for tests).</summary>
    internal static float Dot(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks, SimdWidth level) =>
        KQuantRow<Kernels>.Dot(weightBlocks, activationBlocks, level);

    /// <summary>
    /// ggml's quantize_row_q5_K_ref (what quantize_q5_K does without an importance matrix), byte for byte: as Q4_K's
    /// (see <see cref="Q4KBlock.Quantize"/>) with 5-bit levels and trial scales −0.5 + 0.1·is.
    /// </summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination)
    {
        int count = RowLength.Count(source.Length, BlockSize, Format, nameof(source));
        RowLength.Expect(destination.Length, count * BlockBytes, Format, nameof(destination));
        Span<byte> levels = stackalloc byte[BlockSize];
        for (int b = 0; b < count; b++)
        {
            Span<byte> y = destination.Slice(b * BlockBytes, BlockBytes);
            ScaleMinQuantizer.Quantize(source.Slice(b * BlockSize, BlockSize), y, levels, 31, -0.5f, 0.1f, 15);
            PackLevels(levels, y);
        }
    }

    /// <summary>
    /// ggml's quantize_q5_K with an importance matrix, for one row (quantize_row_q5_K_impl), byte for byte: as Q4_K's
    /// (see <see cref="Q4KBlock.QuantizeWeighted"/>) with 5-bit levels. <paramref name="importance"/> holds one weight per
    /// column (length = <paramref name="source"/>'s).
    /// </summary>
    public static void QuantizeWeighted(ReadOnlySpan<float> source, Span<byte> destination, ReadOnlySpan<float> importance)
    {
        int count = RowLength.Count(source.Length, BlockSize, Format, nameof(source));
        RowLength.Expect(destination.Length, count * BlockBytes, Format, nameof(destination));
        RowLength.Expect(importance.Length, source.Length, Format, nameof(importance));
        Span<byte> levels = stackalloc byte[BlockSize];
        for (int b = 0; b < count; b++)
        {
            Span<byte> y = destination.Slice(b * BlockBytes, BlockBytes);
            ScaleMinQuantizer.QuantizeWeighted(source.Slice(b * BlockSize, BlockSize), y, levels, importance.Slice(b * BlockSize, BlockSize), 31,
                clampLevels: true);
            PackLevels(levels, y);
        }
    }

    /// <summary>Low nibbles as Q4_K's; the fifth bit of sub-block s's weight l is bit s of qh[l].</summary>
    private static void PackLevels(ReadOnlySpan<byte> levels, Span<byte> block)
    {
        Span<byte> qh = block.Slice(HighOffset, 32);
        Span<byte> ql = block.Slice(QuantsOffset, 128);
        qh.Clear();
        byte m1 = 1, m2 = 2;
        for (int n = 0; n < BlockSize; n += 64)
        {
            for (int j = 0; j < 32; ++j)
            {
                int l1 = levels[n + j];
                if (l1 > 15)
                {
                    l1 -= 16;
                    qh[j] |= m1;
                }
                int l2 = levels[n + j + 32];
                if (l2 > 15)
                {
                    l2 -= 16;
                    qh[j] |= m2;
                }
                ql[n / 2 + j] = (byte)(l1 | (l2 << 4));
            }
            m1 <<= 2;
            m2 <<= 2;
        }
    }

    private static unsafe void DequantizeScalar(byte* xs, float* ys, int count)
    {
        for (int b = 0; b < count; b++)
        {
            byte* x = xs + b * BlockBytes;
            float* y = ys + b * BlockSize;
            float d = Fp16Bits.Load(x), min = Fp16Bits.Load(x + 2);
            Vector128<byte> sm = KQuant.UnpackScaleMin(x + ScalesOffset);
            byte* ql = x + QuantsOffset;
            byte* qh = x + HighOffset;
            int u1 = 1, u2 = 2;
            for (int c = 0; c < 4; c++)
            {
                float d1 = d * sm[2 * c], m1 = min * sm[8 + 2 * c];
                float d2 = d * sm[2 * c + 1], m2 = min * sm[8 + 2 * c + 1];
                for (int l = 0; l < 32; l++)
                {
                    *y++ = d1 * ((ql[l] & 0xF) + ((qh[l] & u1) != 0 ? 16 : 0)) - m1;
                }
                for (int l = 0; l < 32; l++)
                {
                    *y++ = d2 * ((ql[l] >> 4) + ((qh[l] & u2) != 0 ? 16 : 0)) - m2;
                }
                ql += 32;
                u1 <<= 2;
                u2 <<= 2;
            }
        }
    }

    private static unsafe void DequantizeSimd(byte* xs, float* ys, int count, SimdWidth level)
    {
        sbyte* q = stackalloc sbyte[BlockSize];
        float* scales = stackalloc float[8];
        float* mins = stackalloc float[8];
        for (int b = 0; b < count; b++)
        {
            byte* x = xs + b * BlockBytes;
            float d = Fp16Bits.Load(x), min = Fp16Bits.Load(x + 2);
            Vector128<byte> sm = KQuant.UnpackScaleMin(x + ScalesOffset);
            for (int s = 0; s < 8; s++)
            {
                scales[s] = d * sm[s];
                mins[s] = min * sm[8 + s];
            }
            for (int half = 0; half < 32; half += 16)
            {
                Vector128<byte> h = Vector128.Load(x + HighOffset + half);
                for (int c = 0; c < 4; c++)
                {
                    Unpack(Vector128.Load(x + QuantsOffset + 32 * c + half), h, c, out Vector128<byte> lo, out Vector128<byte> hi);
                    lo.AsSByte().Store(q + 64 * c + half);
                    hi.AsSByte().Store(q + 64 * c + 32 + half);
                }
            }
            KQuant.Expand(q, scales, mins, 32, ys + b * BlockSize, level);
        }
    }

    /// <summary>The 5-bit quants of sub-blocks 2c (low nibbles, qh bit 2c) and 2c+1 (high nibbles, qh bit 2c+1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Unpack(Vector128<byte> v, Vector128<byte> h, int c, out Vector128<byte> lo, out Vector128<byte> hi)
    {
        Vector128<byte> low4 = Vector128.Create((byte)0x0F), one = Vector128.Create((byte)1);
        lo = (v & low4) | Vector128.ShiftLeft(Vector128.ShiftRightLogical(h, 2 * c) & one, 4);
        hi = Vector128.ShiftRightLogical(v, 4) | Vector128.ShiftLeft(Vector128.ShiftRightLogical(h, 2 * c + 1) & one, 4);
    }

    private static unsafe float DotScalar(byte* xs, byte* ys, int count)
    {
        sbyte* aux8 = stackalloc sbyte[BlockSize];
        float* sums = stackalloc float[8];
        KQuant.ClearLanes(sums);
        float sumf = 0;
        for (int b = 0; b < count; b++)
        {
            byte* x = xs + b * BlockBytes;
            byte* y = ys + b * Q8KBlock.BlockBytes;
            byte* q4 = x + QuantsOffset;
            byte* hm = x + HighOffset;
            sbyte* a = aux8;
            int m = 1;
            for (int c = 0; c < 4; c++)
            {
                for (int l = 0; l < 32; l++)
                {
                    a[l] = (sbyte)((q4[l] & 0xF) + ((hm[l] & m) != 0 ? 16 : 0));
                }
                a += 32;
                m <<= 1;
                for (int l = 0; l < 32; l++)
                {
                    a[l] = (sbyte)((q4[l] >> 4) + ((hm[l] & m) != 0 ? 16 : 0));
                }
                a += 32;
                m <<= 1;
                q4 += 32;
            }
            Vector128<byte> sm = KQuant.UnpackScaleMin(x + ScalesOffset);
            int sumi = KQuant.MinSum(sm, y);
            float dy = Unsafe.ReadUnaligned<float>(y);
            float d = Fp16Bits.Load(x) * dy;
            KQuant.AccumulateLanes(aux8, (sbyte*)(y + Q8KBlock.QuantsOffset), sm.AsSByte(), 32, d, sums);
            float dmin = Fp16Bits.Load(x + 2) * dy;
            sumf -= dmin * sumi;
        }
        return KQuant.SumLanes(sums, sumf);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe float DotVector128(byte* xs, byte* ys, int count)
    {
        Vector128<float> acc = Vector128<float>.Zero;
        float accMin = 0;
        for (int b = 0; b < count; b++)
        {
            byte* x = xs + b * BlockBytes;
            byte* y = ys + b * Q8KBlock.BlockBytes;
            float dy = Unsafe.ReadUnaligned<float>(y);
            Vector128<byte> sm = KQuant.UnpackScaleMin(x + ScalesOffset);
            int minSum = KQuant.MinSum(sm, y);
            Vector128<int> sumi = Vector128<int>.Zero;
            sbyte* q8 = (sbyte*)(y + Q8KBlock.QuantsOffset);
            for (int half = 0; half < 32; half += 16)
            {
                Vector128<byte> h = Vector128.Load(x + HighOffset + half);
                for (int c = 0; c < 4; c++)
                {
                    Unpack(Vector128.Load(x + QuantsOffset + 32 * c + half), h, c, out Vector128<byte> lo, out Vector128<byte> hi);
                    sumi += KQuant.DotBytes(lo, Vector128.Load(q8 + 64 * c + half)) * (int)sm[2 * c]
                        + KQuant.DotBytes(hi, Vector128.Load(q8 + 64 * c + 32 + half)) * (int)sm[2 * c + 1];
                }
            }
            acc += Vector128.Create(Fp16Bits.Load(x) * dy) * Vector128.ConvertToSingle(sumi);
            accMin += Fp16Bits.Load(x + 2) * dy * minSum;
        }
        return Vector128.Sum(acc) - accMin;
    }

    /// <summary>This format's kernels for the shared entry points in <see cref="KQuantRow{TKernels}"/>.</summary>
    private readonly unsafe struct Kernels : IKQuantKernels
    {
        public static string Format => Q5KBlock.Format;
        public static int BlockBytes => Q5KBlock.BlockBytes;
        public static void DequantizeReference(byte* blocks, float* destination, int count) => DequantizeScalar(blocks, destination, count);
        public static void Dequantize(byte* blocks, float* destination, int count, SimdWidth level) =>
            DequantizeSimd(blocks, destination, count, level);
        public static float DotReference(byte* weights, byte* activations, int count) => DotScalar(weights, activations, count);
        public static float DotAvx512(byte* weights, byte* activations, int count) => DotAvx2(weights, activations, count);
        public static float DotAvx2(byte* weights, byte* activations, int count) => KQuantTileAvx2<Q5KAvx2Quants>.Row(weights, activations, count);
        public static float DotVector128(byte* weights, byte* activations, int count) => Q5KBlock.DotVector128(weights, activations, count);
    }
}
