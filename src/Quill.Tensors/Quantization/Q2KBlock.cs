// ggml's Q2_K weight blocks: quantize (plain and importance-weighted), dequantize, dot with Q8_K activations (scalar and AVX2/Vector128 kernels).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// Q2_K: 256 weights in 16 sub-blocks of 16, 2.625 bits per weight. Layout of one 84-byte block:
/// <c>byte scales[16]; byte qs[64]; half d; half dmin</c>. Each scale byte holds a 4-bit scale (low) and a 4-bit min (high);
/// weight 128h + 32j + l = d * (scales[s] &amp; 15) * ((qs[32h + l] &gt;&gt; 2j) &amp; 3) - dmin * (scales[s] &gt;&gt; 4).
/// </summary>
public static class Q2KBlock
{
    public const int BlockSize = 256, BlockBytes = 84;

    private const string Format = "Q2_K";
    internal const int QuantsOffset = 16, DeltaOffset = 80, MinOffset = 82;

    /// <summary>Scalar dequantizer, bit-exact with ggml's dequantize_row_q2_K.</summary>
    public static void DequantizeReference(ReadOnlySpan<byte> blocks, Span<float> destination) =>
        KQuantRow<Kernels>.DequantizeReference(blocks, destination);

    /// <summary>Vectorized dequantizer with exactly the results of <see cref="DequantizeReference"/>.</summary>
    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> destination) =>
        KQuantRow<Kernels>.Dequantize(blocks, destination, SimdCapability.Best);

    /// <summary><see cref="Dequantize(ReadOnlySpan{byte}, Span{float})"/> with the kernels of <paramref name="level"/> (for tests).</summary>
    internal static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> destination, SimdWidth level) =>
        KQuantRow<Kernels>.Dequantize(blocks, destination, level);

    /// <summary>
    /// Scalar dot product with Q8_K activations, bit-exact with ggml_vec_dot_q2_K_q8_K_generic (per block
    /// sum += dall * isum - dmin * summs, in that order).
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
    /// ggml's quantize_row_q2_K_ref (what quantize_q2_K does without an importance matrix), byte for byte: each 16-weight
    /// sub-block gets a scale and min from make_qkx2_quants (weights |x|, absolute error, 16 trial scales), both are
    /// quantized to 4 bits against the block's largest, then every weight is requantized against the stored fp16 values.
    /// </summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination)
    {
        int count = RowLength.Count(source.Length, BlockSize, Format, nameof(source));
        RowLength.Expect(destination.Length, count * BlockBytes, Format, nameof(destination));
        for (int b = 0; b < count; b++)
        {
            QuantizeBlock(source.Slice(b * BlockSize, BlockSize), destination.Slice(b * BlockBytes, BlockBytes));
        }
    }

    /// <summary>
    /// ggml's quantize_q2_K with an importance matrix, for one row (quantize_row_q2_K_impl), byte for byte:
    /// <paramref name="importance"/> holds one weight per column (length = <paramref name="source"/>'s); weight i of a
    /// sub-block is importance · sqrt(σ² + x²) with σ² the block's mean square, the sub-block fit is make_qkx3_quants and
    /// the sixteen scales and mins are quantized by make_qp_quants weighted by each sub-block's summed weights.
    /// </summary>
    public static void QuantizeWeighted(ReadOnlySpan<float> source, Span<byte> destination, ReadOnlySpan<float> importance)
    {
        int count = RowLength.Count(source.Length, BlockSize, Format, nameof(source));
        RowLength.Expect(destination.Length, count * BlockBytes, Format, nameof(destination));
        RowLength.Expect(importance.Length, source.Length, Format, nameof(importance));
        for (int b = 0; b < count; b++)
        {
            QuantizeBlockWeighted(source.Slice(b * BlockSize, BlockSize), destination.Slice(b * BlockBytes, BlockBytes),
                importance.Slice(b * BlockSize, BlockSize));
        }
    }

    private static void QuantizeBlock(ReadOnlySpan<float> x, Span<byte> y)
    {
        const float q4scale = 15f;
        Span<byte> levels = stackalloc byte[BlockSize];
        Span<byte> scratch = stackalloc byte[16];
        Span<float> weights = stackalloc float[16];
        Span<float> scales = stackalloc float[16];
        Span<float> mins = stackalloc float[16];
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 16; ++j)
        {
            ReadOnlySpan<float> xs = x.Slice(16 * j, 16);
            for (int l = 0; l < 16; ++l)
            {
                weights[l] = MathF.Abs(xs[l]);
            }
            scales[j] = ScaleSearch.MakeQkx2(16, 3, xs, weights, levels.Slice(16 * j, 16), out mins[j], scratch, -0.5f, 0.1f, 15, true);
            if (scales[j] > maxScale)
            {
                maxScale = scales[j];
            }
            if (mins[j] > maxMin)
            {
                maxMin = mins[j];
            }
        }
        Span<byte> packed = y[..16];
        if (maxScale > 0)
        {
            float iscale = q4scale / maxScale;
            for (int j = 0; j < 16; ++j)
            {
                packed[j] = (byte)Q8KBlock.NearestInt(iscale * scales[j]);
            }
            Fp16Bits.Store(y, DeltaOffset, maxScale / q4scale);
        }
        else
        {
            packed.Clear();
            Fp16Bits.Store(y, DeltaOffset, 0f);
        }
        if (maxMin > 0)
        {
            float iscale = q4scale / maxMin;
            for (int j = 0; j < 16; ++j)
            {
                packed[j] |= (byte)(Q8KBlock.NearestInt(iscale * mins[j]) << 4);
            }
            Fp16Bits.Store(y, MinOffset, maxMin / q4scale);
        }
        else
        {
            Fp16Bits.Store(y, MinOffset, 0f);
        }
        Requantize(x, y, levels);
        PackTwoBitLevels(levels, y.Slice(QuantsOffset, 64));
    }

    private static void QuantizeBlockWeighted(ReadOnlySpan<float> x, Span<byte> y, ReadOnlySpan<float> importance)
    {
        Span<byte> levels = stackalloc byte[BlockSize];
        Span<byte> scratch = stackalloc byte[16];
        Span<byte> scaleLevels = stackalloc byte[16];
        Span<byte> minLevels = stackalloc byte[16];
        Span<float> weights = stackalloc float[16];
        Span<float> scales = stackalloc float[16];
        Span<float> mins = stackalloc float[16];
        Span<float> groupWeights = stackalloc float[16];
        float sumx2 = 0;
        for (int j = 0; j < BlockSize; ++j)
        {
            sumx2 += x[j] * x[j];
        }
        float sigma2 = sumx2 / BlockSize;
        for (int j = 0; j < 16; ++j)
        {
            ReadOnlySpan<float> xs = x.Slice(16 * j, 16);
            ReadOnlySpan<float> qw = importance.Slice(16 * j, 16);
            float sum = 0;
            ScaleSearch.ImportanceWeights(xs, qw, sigma2, weights);
            for (int l = 0; l < 16; ++l)
            {
                sum += weights[l];
            }
            groupWeights[j] = sum;
            scales[j] = ScaleSearch.MakeQkx3(16, 3, xs, weights, levels.Slice(16 * j, 16), out mins[j], scratch, -0.9f, 0.05f, 36, false);
        }
        float dm = ScaleSearch.MakeQp(16, 15, scales, scaleLevels, groupWeights);
        float mm = ScaleSearch.MakeQp(16, 15, mins, minLevels, groupWeights);
        Fp16Bits.Store(y, DeltaOffset, dm);
        Fp16Bits.Store(y, MinOffset, mm);
        for (int j = 0; j < 16; ++j)
        {
            y[j] = (byte)(scaleLevels[j] | (minLevels[j] << 4));
        }
        Requantize(x, y, levels);
        PackTwoBitLevels(levels, y.Slice(QuantsOffset, 64));
    }

    /// <summary>Every level again from the stored fp16 d and dmin and 4-bit scales (sub-blocks whose scale is 0 keep theirs).</summary>
    private static void Requantize(ReadOnlySpan<float> x, ReadOnlySpan<byte> y, Span<byte> levels)
    {
        float dAll = Fp16Bits.Load(y, DeltaOffset), mAll = Fp16Bits.Load(y, MinOffset);
        for (int j = 0; j < 16; ++j)
        {
            float d = dAll * (y[j] & 0xF);
            if (d == 0)
            {
                continue;
            }
            float m = mAll * (y[j] >> 4);
            for (int i = 0; i < 16; ++i)
            {
                int l = Q8KBlock.NearestInt((x[16 * j + i] + m) / d);
                levels[16 * j + i] = (byte)Math.Max(0, Math.Min(3, l));
            }
        }
    }

    /// <summary>ggml's 2-bit quant packing (Q2_K's quants, Q3_K's low bits): level 128h + 32s + l goes to bits 2s of qs[32h + l].</summary>
    internal static void PackTwoBitLevels(ReadOnlySpan<byte> levels, Span<byte> qs)
    {
        for (int j = 0; j < BlockSize; j += 128)
        {
            for (int l = 0; l < 32; ++l)
            {
                qs[j / 4 + l] = (byte)(levels[j + l] | (levels[j + l + 32] << 2) | (levels[j + l + 64] << 4) | (levels[j + l + 96] << 6));
            }
        }
    }

    private static unsafe void DequantizeScalar(byte* xs, float* ys, int count)
    {
        for (int b = 0; b < count; b++)
        {
            byte* x = xs + b * BlockBytes;
            float* y = ys + b * BlockSize;
            float d = Fp16Bits.Load(x + DeltaOffset), min = Fp16Bits.Load(x + MinOffset);
            byte* q = x + QuantsOffset;
            int s = 0;
            for (int n = 0; n < 2; n++)
            {
                for (int shift = 0; shift < 8; shift += 2)
                {
                    int sc = x[s++];
                    float dl = d * (sc & 0xF), ml = min * (sc >> 4);
                    for (int l = 0; l < 16; l++)
                    {
                        *y++ = dl * ((q[l] >> shift) & 3) - ml;
                    }
                    sc = x[s++];
                    dl = d * (sc & 0xF);
                    ml = min * (sc >> 4);
                    for (int l = 0; l < 16; l++)
                    {
                        *y++ = dl * ((q[l + 16] >> shift) & 3) - ml;
                    }
                }
                q += 32;
            }
        }
    }

    private static unsafe void DequantizeSimd(byte* xs, float* ys, int count, SimdWidth level)
    {
        sbyte* q = stackalloc sbyte[BlockSize];
        float* scales = stackalloc float[16];
        float* mins = stackalloc float[16];
        for (int b = 0; b < count; b++)
        {
            byte* x = xs + b * BlockBytes;
            float d = Fp16Bits.Load(x + DeltaOffset), min = Fp16Bits.Load(x + MinOffset);
            for (int s = 0; s < 16; s++)
            {
                scales[s] = d * (x[s] & 0xF);
                mins[s] = min * (x[s] >> 4);
            }
            for (int n = 0; n < 2; n++)
            {
                for (int half = 0; half < 32; half += 16)
                {
                    Vector128<byte> v = Vector128.Load(x + QuantsOffset + 32 * n + half);
                    for (int j = 0; j < 4; j++)
                    {
                        (Vector128.ShiftRightLogical(v, 2 * j) & Vector128.Create((byte)3)).AsSByte().Store(q + 128 * n + 32 * j + half);
                    }
                }
            }
            KQuant.Expand(q, scales, mins, 16, ys + b * BlockSize, level);
        }
    }

    private static unsafe float DotScalar(byte* xs, byte* ys, int count)
    {
        float sumf = 0;
        for (int b = 0; b < count; b++)
        {
            byte* x = xs + b * BlockBytes;
            byte* y = ys + b * Q8KBlock.BlockBytes;
            byte* q2 = x + QuantsOffset;
            sbyte* q8 = (sbyte*)(y + Q8KBlock.QuantsOffset);
            short* bsums = (short*)(y + Q8KBlock.SumsOffset);
            int summs = 0;
            for (int j = 0; j < 16; j++)
            {
                summs += bsums[j] * (x[j] >> 4);
            }
            float dy = Unsafe.ReadUnaligned<float>(y);
            float dall = dy * Fp16Bits.Load(x + DeltaOffset);
            float dmin = dy * Fp16Bits.Load(x + MinOffset);
            int isum = 0, s = 0;
            for (int n = 0; n < 2; n++)
            {
                for (int shift = 0; shift < 8; shift += 2)
                {
                    int d = x[s++] & 0xF;
                    int isuml = 0;
                    for (int l = 0; l < 16; l++)
                    {
                        isuml += q8[l] * ((q2[l] >> shift) & 3);
                    }
                    isum += d * isuml;
                    d = x[s++] & 0xF;
                    isuml = 0;
                    for (int l = 16; l < 32; l++)
                    {
                        isuml += q8[l] * ((q2[l] >> shift) & 3);
                    }
                    isum += d * isuml;
                    q8 += 32;
                }
                q2 += 32;
            }
            sumf += dall * isum - dmin * summs;
        }
        return sumf;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe float DotAvx2(byte* xs, byte* ys, int count)
    {
        Vector256<float> acc = Vector256<float>.Zero;
        Vector128<byte> pick0 = KQuant.PairMask(0), pick1 = KQuant.PairMask(2), pick2 = KQuant.PairMask(4), pick3 = KQuant.PairMask(6);
        Vector128<byte> pick4 = KQuant.PairMask(8), pick5 = KQuant.PairMask(10), pick6 = KQuant.PairMask(12), pick7 = KQuant.PairMask(14);
        for (int b = 0; b < count; b++)
        {
            byte* x = xs + b * BlockBytes;
            byte* y = ys + b * Q8KBlock.BlockBytes;
            sbyte* q8 = (sbyte*)(y + Q8KBlock.QuantsOffset);
            Vector128<byte> packed = Sse2.LoadVector128(x);
            Vector128<byte> sc = Sse2.And(packed, Vector128.Create((byte)0x0F));
            Vector128<byte> mins = Sse2.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & Vector128.Create((byte)0x0F);
            Vector256<int> minSums = KQuant.GroupSums(Avx2.ConvertToVector256Int16(mins), y);
            Vector256<int> sumi = Avx2.Add(
                HalfAvx2(Avx.LoadVector256(x + QuantsOffset), q8, sc, pick0, pick1, pick2, pick3),
                HalfAvx2(Avx.LoadVector256(x + QuantsOffset + 32), q8 + 128, sc, pick4, pick5, pick6, pick7));
            float dy = Unsafe.ReadUnaligned<float>(y);
            // ggml's order: the min term's lanes go into the same accumulator, negated, before the block's sums.
            acc = Fma.MultiplyAddNegated(Vector256.Create(dy * Fp16Bits.Load(x + MinOffset)), Avx.ConvertToVector256Single(minSums), acc);
            acc = Fma.MultiplyAdd(Vector256.Create(dy * Fp16Bits.Load(x + DeltaOffset)), Avx.ConvertToVector256Single(sumi), acc);
        }
        return KQuant.Sum(acc);
    }

    /// <summary>Sum of scale * q * a over one 128-weight half whose 32 qs bytes are <paramref name="v"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<int> HalfAvx2(Vector256<byte> v, sbyte* q8, Vector128<byte> sc,
        Vector128<byte> pick0, Vector128<byte> pick1, Vector128<byte> pick2, Vector128<byte> pick3)
    {
        Vector256<byte> three = Vector256.Create((byte)3);
        Vector256<byte> q0 = Avx2.And(v, three);
        Vector256<byte> q1 = Avx2.And(Avx2.ShiftRightLogical(v.AsUInt16(), 2).AsByte(), three);
        Vector256<byte> q2 = Avx2.And(Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte(), three);
        Vector256<byte> q3 = Avx2.And(Avx2.ShiftRightLogical(v.AsUInt16(), 6).AsByte(), three);
        Vector256<int> s0 = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q0, Avx.LoadVector256(q8)), KQuant.PairScales(sc, pick0));
        Vector256<int> s1 = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q1, Avx.LoadVector256(q8 + 32)), KQuant.PairScales(sc, pick1));
        Vector256<int> s2 = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q2, Avx.LoadVector256(q8 + 64)), KQuant.PairScales(sc, pick2));
        Vector256<int> s3 = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q3, Avx.LoadVector256(q8 + 96)), KQuant.PairScales(sc, pick3));
        return Avx2.Add(Avx2.Add(s0, s1), Avx2.Add(s2, s3));
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
            sbyte* q8 = (sbyte*)(y + Q8KBlock.QuantsOffset);
            short* bsums = (short*)(y + Q8KBlock.SumsOffset);
            int minSum = 0;
            for (int g = 0; g < 16; g++)
            {
                minSum += bsums[g] * (x[g] >> 4);
            }
            Vector128<int> sumi = Vector128<int>.Zero;
            for (int n = 0; n < 2; n++)
            {
                for (int half = 0; half < 32; half += 16)
                {
                    Vector128<byte> v = Vector128.Load(x + QuantsOffset + 32 * n + half);
                    for (int j = 0; j < 4; j++)
                    {
                        int g = 8 * n + 2 * j + half / 16;
                        Vector128<byte> q = Vector128.ShiftRightLogical(v, 2 * j) & Vector128.Create((byte)3);
                        sumi += KQuant.DotBytes(q, Vector128.Load(q8 + 128 * n + 32 * j + half)) * (x[g] & 0xF);
                    }
                }
            }
            float dy = Unsafe.ReadUnaligned<float>(y);
            acc += Vector128.Create(dy * Fp16Bits.Load(x + DeltaOffset)) * Vector128.ConvertToSingle(sumi);
            accMin += dy * Fp16Bits.Load(x + MinOffset) * minSum;
        }
        return Vector128.Sum(acc) - accMin;
    }

    /// <summary>This format's kernels for the shared entry points in <see cref="KQuantRow{TKernels}"/>.</summary>
    private readonly unsafe struct Kernels : IKQuantKernels
    {
        public static string Format => Q2KBlock.Format;
        public static int BlockBytes => Q2KBlock.BlockBytes;
        public static void DequantizeReference(byte* blocks, float* destination, int count) => DequantizeScalar(blocks, destination, count);
        public static void Dequantize(byte* blocks, float* destination, int count, SimdWidth level) =>
            DequantizeSimd(blocks, destination, count, level);
        public static float DotReference(byte* weights, byte* activations, int count) => DotScalar(weights, activations, count);
        public static float DotAvx512(byte* weights, byte* activations, int count) => Q2KBlock.DotAvx2(weights, activations, count);
        public static float DotAvx2(byte* weights, byte* activations, int count) => Q2KBlock.DotAvx2(weights, activations, count);
        public static float DotVector128(byte* weights, byte* activations, int count) => Q2KBlock.DotVector128(weights, activations, count);
    }
}
