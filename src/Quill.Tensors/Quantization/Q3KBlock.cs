// ggml's Q3_K weight blocks: quantize (plain and importance-weighted), dequantize, dot with Q8_K activations (scalar and AVX2/Vector128 kernels).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// Q3_K: 256 weights in 16 sub-blocks of 16, 3.4375 bits per weight. Layout of one 110-byte block:
/// <c>byte hmask[32]; byte qs[64]; byte scales[12]; half d</c>. Sixteen 6-bit scales (stored +32) are packed in 12 bytes;
/// weight 128h + 32j + l = d * (scale[s] - 32) * (((qs[32h + l] &gt;&gt; 2j) &amp; 3) - (bit 4h+j of hmask[l] ? 0 : 4)).
/// </summary>
public static class Q3KBlock
{
    public const int BlockSize = 256, BlockBytes = 110;

    private const string Format = "Q3_K";
    internal const int QuantsOffset = 32, ScalesOffset = 96, DeltaOffset = 108;

    /// <summary>Scalar dequantizer, bit-exact with ggml's dequantize_row_q3_K.</summary>
    public static void DequantizeReference(ReadOnlySpan<byte> blocks, Span<float> destination) =>
        KQuantRow<Kernels>.DequantizeReference(blocks, destination);

    /// <summary>Vectorized dequantizer with exactly the results of <see cref="DequantizeReference"/>.</summary>
    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> destination) =>
        KQuantRow<Kernels>.Dequantize(blocks, destination, SimdCapability.Best);

    /// <summary><see cref="Dequantize(ReadOnlySpan{byte}, Span{float})"/> with the kernels of <paramref name="level"/> (for tests).</summary>
    internal static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> destination, SimdWidth level) =>
        KQuantRow<Kernels>.Dequantize(blocks, destination, level);

    /// <summary>
    /// Scalar dot product with Q8_K activations, bit-exact with ggml_vec_dot_q3_K_q8_K_generic (same integer sums, same
    /// eight float lanes, same summation order).
    /// </summary>
    public static float DotReference(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks) =>
        KQuantRow<Kernels>.DotReference(weightBlocks, activationBlocks);

    /// <summary>
    /// SIMD dot product with Q8_K activations; the -4 offset is applied through the activation group sums (bsums), so
    /// activations must be well-formed Q8_K. Integer sums are exact; only float summation order differs from
    /// <see cref="DotReference"/>. Allocates nothing.
    /// </summary>
    public static float Dot(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks) =>
        KQuantRow<Kernels>.Dot(weightBlocks, activationBlocks, SimdCapability.Best);

    /// <summary><see cref="Dot(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> with the kernels of <paramref name="level"/> (for tests).</summary>
    internal static float Dot(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks, SimdWidth level) =>
        KQuantRow<Kernels>.Dot(weightBlocks, activationBlocks, level);

    /// <summary>
    /// ggml's quantize_row_q3_K_ref (what quantize_q3_K does without an importance matrix), byte for byte: each 16-weight
    /// sub-block gets a signed scale from make_q3_quants (weights x², refined level by level), the scales are quantized to
    /// 6 bits against the one of largest magnitude, then every weight is requantized against the stored values.
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
    /// ggml's quantize_q3_K with an importance matrix, for one row (quantize_row_q3_K_impl), byte for byte:
    /// <paramref name="importance"/> holds one weight per column (length = <paramref name="source"/>'s); weight i of a
    /// sub-block is importance · sqrt(2σ² + x²) with σ² the block's mean square, each sub-block's scale comes from
    /// make_qx_quants with those weights and the sixteen scales from make_qx_quants weighted by each sub-block's sum.
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
        Span<sbyte> levels = stackalloc sbyte[BlockSize];
        Span<float> scales = stackalloc float[16];
        float maxScale = 0, amax = 0;
        for (int j = 0; j < 16; ++j)
        {
            scales[j] = ScaleSearch.MakeQ3(16, 4, x.Slice(16 * j, 16), levels.Slice(16 * j, 16));
            float scale = MathF.Abs(scales[j]);
            if (scale > amax)
            {
                amax = scale;
                maxScale = scales[j];
            }
        }
        Span<byte> packed = y.Slice(ScalesOffset, 12);
        packed.Clear();
        if (maxScale != 0)
        {
            float iscale = -32f / maxScale;
            for (int j = 0; j < 16; ++j)
            {
                sbyte l = (sbyte)Q8KBlock.NearestInt(iscale * scales[j]);
                PackScale(packed, j, Math.Max(-32, Math.Min(31, (int)l)) + 32);
            }
            Fp16Bits.Store(y, DeltaOffset, 1 / iscale);
        }
        else
        {
            Fp16Bits.Store(y, DeltaOffset, 0f);
        }
        Requantize(x, y, levels);
    }

    private static void QuantizeBlockWeighted(ReadOnlySpan<float> x, Span<byte> y, ReadOnlySpan<float> importance)
    {
        Span<sbyte> levels = stackalloc sbyte[BlockSize];
        Span<sbyte> scaleLevels = stackalloc sbyte[16];
        Span<float> weights = stackalloc float[16];
        Span<float> scales = stackalloc float[16];
        Span<float> groupWeights = stackalloc float[16];
        float sumx2 = 0;
        for (int j = 0; j < BlockSize; ++j)
        {
            sumx2 += x[j] * x[j];
        }
        float sigma2 = 2 * sumx2 / BlockSize;
        for (int j = 0; j < 16; ++j)
        {
            ReadOnlySpan<float> xs = x.Slice(16 * j, 16);
            ReadOnlySpan<float> qw = importance.Slice(16 * j, 16);
            ScaleSearch.ImportanceWeights(xs, qw, sigma2, weights);
            float sumw = 0;
            for (int l = 0; l < 16; ++l)
            {
                sumw += weights[l];
            }
            groupWeights[j] = sumw;
            scales[j] = ScaleSearch.MakeQx(16, 4, xs, levels.Slice(16 * j, 16), weights);
        }
        Span<byte> packed = y.Slice(ScalesOffset, 12);
        packed.Clear();
        float dBlock = ScaleSearch.MakeQx(16, 32, scales, scaleLevels, groupWeights);
        for (int j = 0; j < 16; ++j)
        {
            PackScale(packed, j, scaleLevels[j]);
        }
        Fp16Bits.Store(y, DeltaOffset, dBlock);
        Requantize(x, y, levels);
    }

    /// <summary>Stores 6-bit scale <paramref name="j"/> (already offset by 32): low nibble in bytes 0..7, top two bits in bytes 8..11.</summary>
    private static void PackScale(Span<byte> packed, int j, int l)
    {
        if (j < 8)
        {
            packed[j] = (byte)(l & 0xF);
        }
        else
        {
            packed[j - 8] |= (byte)((l & 0xF) << 4);
        }
        l >>= 4;
        packed[j % 4 + 8] |= (byte)(l << (2 * (j / 4)));
    }

    /// <summary>
    /// Every level again from the stored fp16 d and 6-bit scales (sub-blocks whose scale is 0 keep theirs), then the
    /// high bits into hmask (bit s of hmask[l] for weight 32s + l) and the low two bits packed as Q2_K's.
    /// </summary>
    private static void Requantize(ReadOnlySpan<float> x, Span<byte> y, Span<sbyte> levels)
    {
        ReadOnlySpan<byte> packed = y.Slice(ScalesOffset, 12);
        float dAll = Fp16Bits.Load(y, DeltaOffset);
        for (int j = 0; j < 16; ++j)
        {
            int sc = j < 8 ? packed[j] & 0xF : packed[j - 8] >> 4;
            sc = (sbyte)((sc | (((packed[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32);
            float d = dAll * sc;
            if (d == 0)
            {
                continue;
            }
            for (int i = 0; i < 16; ++i)
            {
                int l = Q8KBlock.NearestInt(x[16 * j + i] / d);
                levels[16 * j + i] = (sbyte)(Math.Max(-4, Math.Min(3, l)) + 4);
            }
        }
        Span<byte> hmask = y[..32];
        hmask.Clear();
        int m = 0;
        byte hm = 1;
        for (int j = 0; j < BlockSize; ++j)
        {
            if (levels[j] > 3)
            {
                hmask[m] |= hm;
                levels[j] -= 4;
            }
            if (++m == 32)
            {
                m = 0;
                hm <<= 1;
            }
        }
        Q2KBlock.PackTwoBitLevels(MemoryMarshal.Cast<sbyte, byte>(levels), y.Slice(QuantsOffset, 64));
    }

    private static unsafe void DequantizeScalar(byte* xs, float* ys, int count)
    {
        for (int b = 0; b < count; b++)
        {
            byte* x = xs + b * BlockBytes;
            float* y = ys + b * BlockSize;
            float dAll = Fp16Bits.Load(x + DeltaOffset);
            Vector128<byte> scales = KQuant.UnpackQ3Scales(x + ScalesOffset);
            byte* q = x + QuantsOffset;
            byte* hm = x;
            int m = 1, s = 0;
            for (int n = 0; n < 2; n++)
            {
                int shift = 0;
                for (int j = 0; j < 4; j++)
                {
                    float dl = dAll * (scales[s++] - 32);
                    for (int l = 0; l < 16; l++)
                    {
                        *y++ = dl * (((q[l] >> shift) & 3) - ((hm[l] & m) != 0 ? 0 : 4));
                    }
                    dl = dAll * (scales[s++] - 32);
                    for (int l = 0; l < 16; l++)
                    {
                        *y++ = dl * (((q[l + 16] >> shift) & 3) - ((hm[l + 16] & m) != 0 ? 0 : 4));
                    }
                    shift += 2;
                    m <<= 1;
                }
                q += 32;
            }
        }
    }

    private static unsafe void DequantizeSimd(byte* xs, float* ys, int count, SimdWidth level)
    {
        sbyte* q = stackalloc sbyte[BlockSize];
        float* scales = stackalloc float[16];
        for (int b = 0; b < count; b++)
        {
            byte* x = xs + b * BlockBytes;
            float dAll = Fp16Bits.Load(x + DeltaOffset);
            Vector128<byte> packed = KQuant.UnpackQ3Scales(x + ScalesOffset);
            for (int s = 0; s < 16; s++)
            {
                scales[s] = dAll * (packed[s] - 32);
            }
            for (int n = 0; n < 2; n++)
            {
                for (int half = 0; half < 32; half += 16)
                {
                    Vector128<byte> v = Vector128.Load(x + QuantsOffset + 32 * n + half);
                    Vector128<byte> h = Vector128.Load(x + half);
                    for (int j = 0; j < 4; j++)
                    {
                        (Unpack(v, h, n, j).AsSByte() - Vector128.Create((sbyte)4)).Store(q + 128 * n + 32 * j + half);
                    }
                }
            }
            KQuant.Expand(q, scales, null, 16, ys + b * BlockSize, level);
        }
    }

    /// <summary>The 3-bit quants plus 4 (0..7) of weights 128n + 32j + (16 at a time) from qs bytes and hmask bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Unpack(Vector128<byte> v, Vector128<byte> h, int n, int j) =>
        (Vector128.ShiftRightLogical(v, 2 * j) & Vector128.Create((byte)3))
        | Vector128.ShiftLeft(Vector128.ShiftRightLogical(h, 4 * n + j) & Vector128.Create((byte)1), 2);

    private static unsafe float DotScalar(byte* xs, byte* ys, int count)
    {
        sbyte* aux8 = stackalloc sbyte[BlockSize];
        float* sums = stackalloc float[8];
        KQuant.ClearLanes(sums);
        for (int b = 0; b < count; b++)
        {
            byte* x = xs + b * BlockBytes;
            byte* y = ys + b * Q8KBlock.BlockBytes;
            byte* q3 = x + QuantsOffset;
            byte* hm = x;
            sbyte* a = aux8;
            int m = 1;
            for (int n = 0; n < 2; n++)
            {
                for (int shift = 0; shift < 8; shift += 2)
                {
                    for (int l = 0; l < 32; l++)
                    {
                        a[l] = (sbyte)(((q3[l] >> shift) & 3) - ((hm[l] & m) != 0 ? 0 : 4));
                    }
                    a += 32;
                    m <<= 1;
                }
                q3 += 32;
            }
            Vector128<byte> scales = KQuant.UnpackQ3Scales(x + ScalesOffset);
            float d = Fp16Bits.Load(x + DeltaOffset) * Unsafe.ReadUnaligned<float>(y);
            KQuant.AccumulateLanes(aux8, (sbyte*)(y + Q8KBlock.QuantsOffset), scales.AsSByte() - Vector128.Create((sbyte)32), 16, d, sums);
        }
        return KQuant.SumLanes(sums, 0);
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
            Vector128<byte> sc = Sse2.Subtract(KQuant.UnpackQ3Scales(x + ScalesOffset), Vector128.Create((byte)32));
            Vector256<byte> h = Avx.LoadVector256(x);
            Vector256<int> sumi = Avx2.Add(
                HalfAvx2(Avx.LoadVector256(x + QuantsOffset), h, q8, sc, pick0, pick1, pick2, pick3),
                HalfAvx2(Avx.LoadVector256(x + QuantsOffset + 32), Avx2.ShiftRightLogical(h.AsUInt16(), 4).AsByte(), q8 + 128, sc,
                    pick4, pick5, pick6, pick7));
            float d = Fp16Bits.Load(x + DeltaOffset) * Unsafe.ReadUnaligned<float>(y);
            acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(sumi), acc);
        }
        return KQuant.Sum(acc);
    }

    /// <summary>
    /// Sum of scale * q * a over one 128-weight half: v holds its 32 qs bytes, bits 0..3 of h its hmask bits.
    /// Bits shifted into a byte from its neighbour enter at bit 7 and need eight shifts to reach bit 0; at most seven happen.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<int> HalfAvx2(Vector256<byte> v, Vector256<byte> h, sbyte* q8, Vector128<byte> sc,
        Vector128<byte> pick0, Vector128<byte> pick1, Vector128<byte> pick2, Vector128<byte> pick3)
    {
        Vector256<byte> three = Vector256.Create((byte)3), four = Vector256.Create((byte)4);
        Vector256<byte> q0 = Avx2.Or(Avx2.And(v, three), Avx2.And(Avx2.ShiftLeftLogical(h.AsUInt16(), 2).AsByte(), four));
        Vector256<byte> q1 = Avx2.Or(Avx2.And(Avx2.ShiftRightLogical(v.AsUInt16(), 2).AsByte(), three),
            Avx2.And(Avx2.ShiftLeftLogical(h.AsUInt16(), 1).AsByte(), four));
        Vector256<byte> q2 = Avx2.Or(Avx2.And(Avx2.ShiftRightLogical(v.AsUInt16(), 4).AsByte(), three), Avx2.And(h, four));
        Vector256<byte> q3 = Avx2.Or(Avx2.And(Avx2.ShiftRightLogical(v.AsUInt16(), 6).AsByte(), three),
            Avx2.And(Avx2.ShiftRightLogical(h.AsUInt16(), 1).AsByte(), four));
        Vector256<int> s0 = Chunk(q0, Avx.LoadVector256(q8), KQuant.PairScales(sc, pick0));
        Vector256<int> s1 = Chunk(q1, Avx.LoadVector256(q8 + 32), KQuant.PairScales(sc, pick1));
        Vector256<int> s2 = Chunk(q2, Avx.LoadVector256(q8 + 64), KQuant.PairScales(sc, pick2));
        Vector256<int> s3 = Chunk(q3, Avx.LoadVector256(q8 + 96), KQuant.PairScales(sc, pick3));
        return Avx2.Add(Avx2.Add(s0, s1), Avx2.Add(s2, s3));
    }

    /// <summary>
    /// One 32-weight chunk's lanes: scale × Σ q·a over weights 4j..4j+3 (and 16 + 4j.. for lanes 4..7), the −4 offset
    /// taken off each pair sum as ggml's AVX2 dot does (its vpmaddubsw of the high-bit part), so the lanes are ggml's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Chunk(Vector256<byte> q, Vector256<sbyte> a, Vector256<short> scales) =>
        Avx2.MultiplyAddAdjacent(Avx2.Subtract(Avx2.MultiplyAddAdjacent(q, a), Avx2.MultiplyAddAdjacent(Vector256.Create((byte)4), a)), scales);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe float DotVector128(byte* xs, byte* ys, int count)
    {
        Vector128<float> acc = Vector128<float>.Zero;
        for (int b = 0; b < count; b++)
        {
            byte* x = xs + b * BlockBytes;
            byte* y = ys + b * Q8KBlock.BlockBytes;
            sbyte* q8 = (sbyte*)(y + Q8KBlock.QuantsOffset);
            Vector128<byte> packed = KQuant.UnpackQ3Scales(x + ScalesOffset);
            short* bsums = (short*)(y + Q8KBlock.SumsOffset);
            int offset = 0;
            for (int g = 0; g < 16; g++)
            {
                offset += (packed[g] - 32) * bsums[g];
            }
            Vector128<int> sumi = Vector128<int>.Zero;
            for (int n = 0; n < 2; n++)
            {
                for (int half = 0; half < 32; half += 16)
                {
                    Vector128<byte> v = Vector128.Load(x + QuantsOffset + 32 * n + half);
                    Vector128<byte> h = Vector128.Load(x + half);
                    for (int j = 0; j < 4; j++)
                    {
                        int g = 8 * n + 2 * j + half / 16;
                        sumi += KQuant.DotBytes(Unpack(v, h, n, j), Vector128.Load(q8 + 128 * n + 32 * j + half)) * (packed[g] - 32);
                    }
                }
            }
            float d = Fp16Bits.Load(x + DeltaOffset) * Unsafe.ReadUnaligned<float>(y);
            acc += Vector128.Create(d) * Vector128.ConvertToSingle(sumi - Vector128.CreateScalar(4 * offset));
        }
        return Vector128.Sum(acc);
    }

    /// <summary>This format's kernels for the shared entry points in <see cref="KQuantRow{TKernels}"/>.</summary>
    private readonly unsafe struct Kernels : IKQuantKernels
    {
        public static string Format => Q3KBlock.Format;
        public static int BlockBytes => Q3KBlock.BlockBytes;
        public static void DequantizeReference(byte* blocks, float* destination, int count) => DequantizeScalar(blocks, destination, count);
        public static void Dequantize(byte* blocks, float* destination, int count, SimdWidth level) =>
            DequantizeSimd(blocks, destination, count, level);
        public static float DotReference(byte* weights, byte* activations, int count) => DotScalar(weights, activations, count);
        public static float DotAvx512(byte* weights, byte* activations, int count) => Q3KBlock.DotAvx2(weights, activations, count);
        public static float DotAvx2(byte* weights, byte* activations, int count) => Q3KBlock.DotAvx2(weights, activations, count);
        public static float DotVector128(byte* weights, byte* activations, int count) => Q3KBlock.DotVector128(weights, activations, count);
    }
}
