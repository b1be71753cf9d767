// ggml's Q4_K weight blocks: quantize (plain and importance-weighted), dequantize, dot with Q8_K activations (scalar and AVX-512/AVX2/Vector128 kernels).
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// Q4_K: 256 weights in 8 sub-blocks of 32, 4.5 bits per weight. Layout of one 144-byte block:
/// <c>half d; half dmin; byte scales[12]; byte qs[128]</c>. The 12 scale bytes hold eight 6-bit scales and eight 6-bit mins;
/// weight = d * scale[s] * q - dmin * min[s] with q the 4-bit quant. Sub-blocks 2c and 2c+1 share the 32 bytes
/// qs[32c ..]: low nibbles are sub-block 2c, high nibbles sub-block 2c+1.
/// </summary>
public static class Q4KBlock
{
    public const int BlockSize = 256, BlockBytes = 144;

    private const string Format = "Q4_K";
    internal const int ScalesOffset = 4, QuantsOffset = 16;

    /// <summary>Scalar dequantizer, bit-exact with ggml's dequantize_row_q4_K.</summary>
    public static void DequantizeReference(ReadOnlySpan<byte> blocks, Span<float> destination) =>
        KQuantRow<Kernels>.DequantizeReference(blocks, destination);

    /// <summary>Vectorized dequantizer with exactly the results of <see cref="DequantizeReference"/>.</summary>
    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> destination) =>
        KQuantRow<Kernels>.Dequantize(blocks, destination, SimdCapability.Best);

    /// <summary><see cref="Dequantize(ReadOnlySpan{byte}, Span{float})"/> with the kernels of <paramref name="level"/> (for tests).</summary>
    internal static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> destination, SimdWidth level) =>
        KQuantRow<Kernels>.Dequantize(blocks, destination, level);

    /// <summary>
    /// Scalar dot product with Q8_K activations, bit-exact with ggml_vec_dot_q4_K_q8_K_generic (same integer sums, same
    /// eight float lanes, same summation order).
    /// </summary>
    public static float DotReference(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks) =>
        KQuantRow<Kernels>.DotReference(weightBlocks, activationBlocks);

    /// <summary>
    /// SIMD dot product with Q8_K activations. The integer sums are exact, so it differs from <see cref="DotReference"/>
    /// only by float summation order (relative error around 1e-6 of the sum of magnitudes). Allocates nothing.
    /// </summary>
    public static float Dot(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks) =>
        KQuantRow<Kernels>.Dot(weightBlocks, activationBlocks, SimdCapability.Best);

    /// <summary><see cref="Dot(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> with the kernels of <paramref name="level"/> (for tests).</summary>
    internal static float Dot(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks, SimdWidth level) =>
        KQuantRow<Kernels>.Dot(weightBlocks, activationBlocks, level);

    /// <summary>
    /// ggml's quantize_row_q4_K_ref (what quantize_q4_K does without an importance matrix), byte for byte: each 32-weight
    /// sub-block gets a scale and min from make_qkx2_quants (weights sqrt(mean x²) + |x|, trial scales −1 + 0.1·is), both
    /// are quantized to 6 bits against the block's largest, then every weight is requantized against the stored values.
    /// </summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination)
    {
        int count = RowLength.Count(source.Length, BlockSize, Format, nameof(source));
        RowLength.Expect(destination.Length, count * BlockBytes, Format, nameof(destination));
        Span<byte> levels = stackalloc byte[BlockSize];
        for (int b = 0; b < count; b++)
        {
            Span<byte> y = destination.Slice(b * BlockBytes, BlockBytes);
            ScaleMinQuantizer.Quantize(source.Slice(b * BlockSize, BlockSize), y, levels, 15, -1f, 0.1f, 20);
            PackLevels(levels, y[QuantsOffset..]);
        }
    }

    /// <summary>
    /// ggml's quantize_q4_K with an importance matrix, for one row (quantize_row_q4_K_impl), byte for byte:
    /// <paramref name="importance"/> holds one weight per column (length = <paramref name="source"/>'s); weight i of a
    /// sub-block is importance · sqrt(2σ² + x²) with σ² the block's mean square, the sub-block fit is make_qkx3_quants and
    /// the eight scales and mins are quantized by make_qp_quants weighted by each sub-block's summed weights.
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
            ScaleMinQuantizer.QuantizeWeighted(source.Slice(b * BlockSize, BlockSize), y, levels, importance.Slice(b * BlockSize, BlockSize), 15,
                clampLevels: false);
            PackLevels(levels, y[QuantsOffset..]);
        }
    }

    /// <summary>Sub-blocks 2c and 2c + 1 share qs[32c ..]: low nibbles, then high nibbles.</summary>
    private static void PackLevels(ReadOnlySpan<byte> levels, Span<byte> qs)
    {
        for (int j = 0; j < BlockSize; j += 64)
        {
            for (int l = 0; l < 32; ++l)
            {
                qs[j / 2 + l] = (byte)(levels[j + l] | (levels[j + l + 32] << 4));
            }
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
            byte* q = x + QuantsOffset;
            for (int c = 0; c < 4; c++)
            {
                float d1 = d * sm[2 * c], m1 = min * sm[8 + 2 * c];
                float d2 = d * sm[2 * c + 1], m2 = min * sm[8 + 2 * c + 1];
                for (int l = 0; l < 32; l++)
                {
                    *y++ = d1 * (q[l] & 0xF) - m1;
                }
                for (int l = 0; l < 32; l++)
                {
                    *y++ = d2 * (q[l] >> 4) - m2;
                }
                q += 32;
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
            for (int c = 0; c < 4; c++)
            {
                Vector128<byte> v0 = Vector128.Load(x + QuantsOffset + 32 * c);
                Vector128<byte> v1 = Vector128.Load(x + QuantsOffset + 32 * c + 16);
                Vector128<byte> mask = Vector128.Create((byte)0x0F);
                (v0 & mask).AsSByte().Store(q + 64 * c);
                (v1 & mask).AsSByte().Store(q + 64 * c + 16);
                Vector128.ShiftRightLogical(v0, 4).AsSByte().Store(q + 64 * c + 32);
                Vector128.ShiftRightLogical(v1, 4).AsSByte().Store(q + 64 * c + 48);
            }
            KQuant.Expand(q, scales, mins, 32, ys + b * BlockSize, level);
        }
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
            sbyte* a = aux8;
            for (int c = 0; c < 4; c++)
            {
                for (int l = 0; l < 32; l++)
                {
                    a[l] = (sbyte)(q4[l] & 0xF);
                }
                a += 32;
                for (int l = 0; l < 32; l++)
                {
                    a[l] = (sbyte)(q4[l] >> 4);
                }
                a += 32;
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

    /// <summary>
    /// The AVX-512 level's order, as llama.cpp's repacked Q4_K GEMM (ggml_gemm_q4_K_8x8_q8_K, which every prompt's Q4_K
    /// matmul takes on x86) forms it, one weight at a time: per block and sub-block pair c (sub-blocks 2c, 2c+1), the exact
    /// integer sum Σ scale·q·a is added with one FMA by d·dy into one float chain, the pair's min sum
    /// (min[2c]·(bsums[4c] + bsums[4c+1]) + min[2c+1]·(bsums[4c+2] + bsums[4c+3])) by dmin·dy into another; the result
    /// is their difference. The reference every AVX-512 Q4_K kernel equals bit for bit.
    /// </summary>
    internal static unsafe float DotPairOrderReference(byte* xs, byte* ys, int count)
    {
        float acc = 0, accMin = 0;
        for (int b = 0; b < count; b++)
        {
            byte* x = xs + b * BlockBytes;
            byte* y = ys + b * Q8KBlock.BlockBytes;
            sbyte* q8 = (sbyte*)(y + Q8KBlock.QuantsOffset);
            short* bsums = (short*)(y + Q8KBlock.SumsOffset);
            Vector128<byte> sm = KQuant.UnpackScaleMin(x + ScalesOffset);
            float d = Fp16Bits.Load(x) * Unsafe.ReadUnaligned<float>(y), dmin = Fp16Bits.Load(x + 2) * Unsafe.ReadUnaligned<float>(y);
            for (int c = 0; c < 4; c++)
            {
                int low = 0, high = 0;
                for (int l = 0; l < 32; l++)
                {
                    low += (x[QuantsOffset + 32 * c + l] & 0xF) * q8[64 * c + l];
                    high += (x[QuantsOffset + 32 * c + l] >> 4) * q8[64 * c + 32 + l];
                }
                int sum = low * sm[2 * c] + high * sm[2 * c + 1];
                int minSum = sm[8 + 2 * c] * (bsums[4 * c] + bsums[4 * c + 1]) + sm[9 + 2 * c] * (bsums[4 * c + 2] + bsums[4 * c + 3]);
                acc = MathF.FusedMultiplyAdd(sum, d, acc);
                accMin = MathF.FusedMultiplyAdd(minSum, dmin, accMin);
            }
        }
        return acc - accMin;
    }

    /// <summary>
    /// <see cref="DotPairOrderReference"/> with AVX-512: each sub-block pair's sixteen exact lanes summed to one integer,
    /// the pair's min sum from one vpmaddwd over the bsum pairs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe float DotAvx512(byte* xs, byte* ys, int count)
    {
        float acc = 0, accMin = 0;
        Vector512<byte> low4 = Vector512.Create((byte)0x0F);
        // Shuffle masks putting scale 2k in the low 256 bits and scale 2k+1 in the high 256 bits.
        Vector512<byte> pick01 = ShortBroadcast512(0, 1), pick23 = ShortBroadcast512(2, 3);
        Vector512<byte> pick45 = ShortBroadcast512(4, 5), pick67 = ShortBroadcast512(6, 7);
        for (int b = 0; b < count; b++)
        {
            byte* x = xs + b * BlockBytes;
            byte* y = ys + b * Q8KBlock.BlockBytes;
            float dy = Unsafe.ReadUnaligned<float>(y);
            float d = Fp16Bits.Load(x) * dy, dmin = Fp16Bits.Load(x + 2) * dy;
            Vector128<byte> sm = KQuant.UnpackScaleMin(x + ScalesOffset);
            Vector256<short> sm16 = Avx2.ConvertToVector256Int16(sm);
            Vector512<byte> scales = Vector512.Create(sm16.GetLower().AsByte());
            Vector128<int> minSums = KQuant.MinSums(sm16, y);
            byte* q4 = x + QuantsOffset;
            sbyte* q8 = (sbyte*)(y + Q8KBlock.QuantsOffset);
            for (int half = 0; half < 2; half++)
            {
                Vector512<byte> v = Avx512F.LoadVector512(q4 + 64 * half);
                Vector512<byte> lo = Avx512F.And(v, low4);
                Vector512<byte> hi = Avx512F.And(Avx512BW.ShiftRightLogical(v.AsUInt16(), 4).AsByte(), low4);
                // Sub-blocks 4·half, 4·half + 1 (pair 2·half), then 4·half + 2, 4·half + 3.
                Vector512<int> first = Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Pair(lo, hi, 0x44), Avx512F.LoadVector512(q8 + 128 * half)),
                    Avx512BW.Shuffle(scales, half == 0 ? pick01 : pick45).AsInt16());
                Vector512<int> second = Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Pair(lo, hi, 0xEE),
                    Avx512F.LoadVector512(q8 + 128 * half + 64)), Avx512BW.Shuffle(scales, half == 0 ? pick23 : pick67).AsInt16());
                acc = MathF.FusedMultiplyAdd(Vector512.Sum(first), d, acc);
                accMin = MathF.FusedMultiplyAdd(minSums.GetElement(2 * half), dmin, accMin);
                acc = MathF.FusedMultiplyAdd(Vector512.Sum(second), d, acc);
                accMin = MathF.FusedMultiplyAdd(minSums.GetElement(2 * half + 1), dmin, accMin);
            }
        }
        return acc - accMin;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe float DotVector128(byte* xs, byte* ys, int count)
    {
        Vector128<float> acc = Vector128<float>.Zero;
        float accMin = 0;
        Vector128<byte> low4 = Vector128.Create((byte)0x0F);
        for (int b = 0; b < count; b++)
        {
            byte* x = xs + b * BlockBytes;
            byte* y = ys + b * Q8KBlock.BlockBytes;
            float dy = Unsafe.ReadUnaligned<float>(y);
            Vector128<byte> sm = KQuant.UnpackScaleMin(x + ScalesOffset);
            int minSum = KQuant.MinSum(sm, y);
            Vector128<int> sumi = Vector128<int>.Zero;
            byte* q4 = x + QuantsOffset;
            sbyte* q8 = (sbyte*)(y + Q8KBlock.QuantsOffset);
            for (int c = 0; c < 4; c++)
            {
                Vector128<byte> v0 = Vector128.Load(q4 + 32 * c), v1 = Vector128.Load(q4 + 32 * c + 16);
                Vector128<int> lo = KQuant.DotBytes(v0 & low4, Vector128.Load(q8 + 64 * c))
                    + KQuant.DotBytes(v1 & low4, Vector128.Load(q8 + 64 * c + 16));
                Vector128<int> hi = KQuant.DotBytes(Vector128.ShiftRightLogical(v0, 4), Vector128.Load(q8 + 64 * c + 32))
                    + KQuant.DotBytes(Vector128.ShiftRightLogical(v1, 4), Vector128.Load(q8 + 64 * c + 48));
                sumi += lo * (int)sm[2 * c] + hi * (int)sm[2 * c + 1];
            }
            acc += Vector128.Create(Fp16Bits.Load(x) * dy) * Vector128.ConvertToSingle(sumi);
            accMin += Fp16Bits.Load(x + 2) * dy * minSum;
        }
        return Vector128.Sum(acc) - accMin;
    }

    /// <summary>Two 256-bit halves picked from two vectors (vshufi64x2): 0x44 gives the low halves, 0xEE the high halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<byte> Pair(Vector512<byte> a, Vector512<byte> b, [ConstantExpected] byte control) =>
        Avx512F.Shuffle4x128(a.AsUInt64(), b.AsUInt64(), control).AsByte();

    /// <summary>pshufb mask: element k into the low 256 bits, element m into the high 256 bits.</summary>
    internal static Vector512<byte> ShortBroadcast512(int k, int m) =>
        Vector512.Create(Vector256.Create((short)(0x0100 + 0x0202 * k)), Vector256.Create((short)(0x0100 + 0x0202 * m))).AsByte();

    /// <summary>This format's kernels for the shared entry points in <see cref="KQuantRow{TKernels}"/>.</summary>
    private readonly unsafe struct Kernels : IKQuantKernels
    {
        public static string Format => Q4KBlock.Format;
        public static int BlockBytes => Q4KBlock.BlockBytes;
        public static void DequantizeReference(byte* blocks, float* destination, int count) => DequantizeScalar(blocks, destination, count);
        public static void Dequantize(byte* blocks, float* destination, int count, SimdWidth level) =>
            DequantizeSimd(blocks, destination, count, level);
        public static float DotReference(byte* weights, byte* activations, int count) => DotScalar(weights, activations, count);
        public static float DotAvx512(byte* weights, byte* activations, int count) => Q4KBlock.DotAvx512(weights, activations, count);
        public static float DotAvx2(byte* weights, byte* activations, int count) => KQuantTileAvx2<Q4KAvx2Quants>.Row(weights, activations, count);
        public static float DotVector128(byte* weights, byte* activations, int count) => Q4KBlock.DotVector128(weights, activations, count);
    }
}
