// ggml's Q6_K weight blocks: quantize (plain and importance-weighted), dequantize, dot with Q8_K activations (scalar and AVX-512/AVX2/Vector128 kernels).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// Q6_K: 256 weights in 16 sub-blocks of 16, 6.5625 bits per weight. Layout of one 210-byte block:
/// <c>byte ql[128]; byte qh[64]; int8 scales[16]; half d</c>; weight = d * scales[s] * (q - 32) with q the 6-bit quant
/// (4 low bits from ql, 2 high bits from qh). Each 128-weight half uses ql[64h ..], qh[32h ..]: weight 128h + 32k + l takes
/// nibble (k / 2) of ql[64h + 32(k % 2) + l] and bits 2k..2k+1 of qh[32h + l].
/// </summary>
public static class Q6KBlock
{
    public const int BlockSize = 256, BlockBytes = 210;

    private const string Format = "Q6_K";
    internal const int HighOffset = 128, ScalesOffset = 192, DeltaOffset = 208;

    /// <summary>Scalar dequantizer, bit-exact with ggml's dequantize_row_q6_K.</summary>
    public static void DequantizeReference(ReadOnlySpan<byte> blocks, Span<float> destination) =>
        KQuantRow<Kernels>.DequantizeReference(blocks, destination);

    /// <summary>Vectorized dequantizer with exactly the results of <see cref="DequantizeReference"/>.</summary>
    public static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> destination) =>
        KQuantRow<Kernels>.Dequantize(blocks, destination, SimdCapability.Best);

    /// <summary><see cref="Dequantize(ReadOnlySpan{byte}, Span{float})"/> with the kernels of <paramref name="level"/> (for tests).</summary>
    internal static void Dequantize(ReadOnlySpan<byte> blocks, Span<float> destination, SimdWidth level) =>
        KQuantRow<Kernels>.Dequantize(blocks, destination, level);

    /// <summary>
    /// Scalar dot product with Q8_K activations, bit-exact with ggml_vec_dot_q6_K_q8_K_generic (same integer sums, same
    /// eight float lanes, same summation order).
    /// </summary>
    public static float DotReference(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks) =>
        KQuantRow<Kernels>.DotReference(weightBlocks, activationBlocks);

    /// <summary>
    /// SIMD dot product with Q8_K activations; the -32 offset is applied through the activation group sums (bsums), so
    /// activations must be well-formed Q8_K. Integer sums are exact; only float summation order differs from
    /// <see cref="DotReference"/>. Allocates nothing.
    /// </summary>
    public static float Dot(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks) =>
        KQuantRow<Kernels>.Dot(weightBlocks, activationBlocks, SimdCapability.Best);

    /// <summary><see cref="Dot(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> with the kernels of <paramref name="level"/> (for tests).</summary>
    internal static float Dot(ReadOnlySpan<byte> weightBlocks, ReadOnlySpan<byte> activationBlocks, SimdWidth level) =>
        KQuantRow<Kernels>.Dot(weightBlocks, activationBlocks, level);

    /// <summary>
    /// ggml's quantize_row_q6_K_ref (what quantize_q6_K does without an importance matrix), byte for byte: each 16-weight
    /// sub-block gets a signed scale from make_qx_quants (weights x², 19 trial scales), the scales are quantized to int8
    /// against the one of largest magnitude, then every weight is requantized against the stored values. A block whose
    /// scales are all below GROUP_MAX_EPS is all zero bytes.
    /// </summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination)
    {
        int count = RowLength.Count(source.Length, BlockSize, Format, nameof(source));
        RowLength.Expect(destination.Length, count * BlockBytes, Format, nameof(destination));
        for (int b = 0; b < count; b++)
        {
            QuantizeBlock(source.Slice(b * BlockSize, BlockSize), destination.Slice(b * BlockBytes, BlockBytes), []);
        }
    }

    /// <summary>
    /// ggml's quantize_q6_K with an importance matrix, for one row (quantize_row_q6_K_impl), byte for byte: as
    /// <see cref="Quantize"/> with the sub-block fits weighted by <paramref name="importance"/> itself (one weight per
    /// column, length = <paramref name="source"/>'s; unlike the other K-quants ggml does not mix in x²).
    /// </summary>
    public static void QuantizeWeighted(ReadOnlySpan<float> source, Span<byte> destination, ReadOnlySpan<float> importance)
    {
        int count = RowLength.Count(source.Length, BlockSize, Format, nameof(source));
        RowLength.Expect(destination.Length, count * BlockBytes, Format, nameof(destination));
        RowLength.Expect(importance.Length, source.Length, Format, nameof(importance));
        for (int b = 0; b < count; b++)
        {
            QuantizeBlock(source.Slice(b * BlockSize, BlockSize), destination.Slice(b * BlockBytes, BlockBytes),
                importance.Slice(b * BlockSize, BlockSize));
        }
    }

    /// <summary>One block; an empty <paramref name="importance"/> is ggml's quant_weights == NULL (weights x²).</summary>
    private static void QuantizeBlock(ReadOnlySpan<float> x, Span<byte> y, ReadOnlySpan<float> importance)
    {
        Span<sbyte> levels = stackalloc sbyte[BlockSize];
        Span<float> scales = stackalloc float[16];
        float maxScale = 0, maxAbsScale = 0;
        for (int ib = 0; ib < 16; ++ib)
        {
            ReadOnlySpan<float> qw = importance.IsEmpty ? [] : importance.Slice(16 * ib, 16);
            float scale = ScaleSearch.MakeQx(16, 32, x.Slice(16 * ib, 16), levels.Slice(16 * ib, 16), qw);
            scales[ib] = scale;
            float absScale = MathF.Abs(scale);
            if (absScale > maxAbsScale)
            {
                maxAbsScale = absScale;
                maxScale = scale;
            }
        }
        if (maxAbsScale < ScaleSearch.GroupMaxEps)
        {
            y.Clear();
            return;
        }
        float iscale = -128f / maxScale;
        Fp16Bits.Store(y, DeltaOffset, 1 / iscale);
        Span<sbyte> blockScales = MemoryMarshal.Cast<byte, sbyte>(y.Slice(ScalesOffset, 16));
        for (int ib = 0; ib < 16; ++ib)
        {
            blockScales[ib] = (sbyte)Math.Min(127, Q8KBlock.NearestInt(iscale * scales[ib]));
        }
        float dAll = Fp16Bits.Load(y, DeltaOffset);
        for (int j = 0; j < 16; ++j)
        {
            float d = dAll * blockScales[j];
            if (d == 0)
            {
                continue;
            }
            for (int i = 0; i < 16; ++i)
            {
                int l = Q8KBlock.NearestInt(x[16 * j + i] / d);
                levels[16 * j + i] = (sbyte)(Math.Max(-32, Math.Min(31, l)) + 32);
            }
        }
        Span<byte> ql = y[..HighOffset];
        Span<byte> qh = y.Slice(HighOffset, 64);
        for (int j = 0; j < BlockSize; j += 128)
        {
            for (int l = 0; l < 32; ++l)
            {
                int l0 = levels[j + l], l1 = levels[j + l + 32], l2 = levels[j + l + 64], l3 = levels[j + l + 96];
                ql[j / 2 + l] = (byte)((l0 & 0xF) | ((l2 & 0xF) << 4));
                ql[j / 2 + l + 32] = (byte)((l1 & 0xF) | ((l3 & 0xF) << 4));
                qh[j / 4 + l] = (byte)((l0 >> 4) | ((l1 >> 4) << 2) | ((l2 >> 4) << 4) | ((l3 >> 4) << 6));
            }
        }
    }

    private static unsafe void DequantizeScalar(byte* xs, float* ys, int count)
    {
        for (int b = 0; b < count; b++)
        {
            byte* x = xs + b * BlockBytes;
            float* y = ys + b * BlockSize;
            float d = Fp16Bits.Load(x + DeltaOffset);
            byte* ql = x;
            byte* qh = x + HighOffset;
            sbyte* sc = (sbyte*)(x + ScalesOffset);
            for (int n = 0; n < 2; n++)
            {
                for (int l = 0; l < 32; l++)
                {
                    int s = l / 16;
                    int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                    int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                    int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                    int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                    y[l] = d * sc[s] * q1;
                    y[l + 32] = d * sc[s + 2] * q2;
                    y[l + 64] = d * sc[s + 4] * q3;
                    y[l + 96] = d * sc[s + 6] * q4;
                }
                y += 128;
                ql += 64;
                qh += 32;
                sc += 8;
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
            float d = Fp16Bits.Load(x + DeltaOffset);
            for (int s = 0; s < 16; s++)
            {
                scales[s] = d * ((sbyte*)(x + ScalesOffset))[s];
            }
            for (int n = 0; n < 2; n++)
            {
                for (int h = 0; h < 32; h += 16)
                {
                    Vector128<byte> l0 = Vector128.Load(x + 64 * n + h), l1 = Vector128.Load(x + 64 * n + 32 + h);
                    Vector128<byte> hb = Vector128.Load(x + HighOffset + 32 * n + h);
                    Unpack(l0, l1, hb, out Vector128<byte> q1, out Vector128<byte> q2, out Vector128<byte> q3, out Vector128<byte> q4);
                    Vector128<sbyte> offset = Vector128.Create((sbyte)32);
                    (q1.AsSByte() - offset).Store(q + 128 * n + h);
                    (q2.AsSByte() - offset).Store(q + 128 * n + 32 + h);
                    (q3.AsSByte() - offset).Store(q + 128 * n + 64 + h);
                    (q4.AsSByte() - offset).Store(q + 128 * n + 96 + h);
                }
            }
            KQuant.Expand(q, scales, null, 16, ys + b * BlockSize, level);
        }
    }

    /// <summary>The four unsigned 6-bit quant vectors (weights +0, +32, +64, +96 of a half) from ql, ql+32 and qh bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Unpack(Vector128<byte> l0, Vector128<byte> l1, Vector128<byte> h,
        out Vector128<byte> q1, out Vector128<byte> q2, out Vector128<byte> q3, out Vector128<byte> q4)
    {
        Vector128<byte> low4 = Vector128.Create((byte)0x0F);
        q1 = (l0 & low4) | Vector128.ShiftLeft(h & Vector128.Create((byte)0x03), 4);
        q2 = (l1 & low4) | Vector128.ShiftLeft(h & Vector128.Create((byte)0x0C), 2);
        q3 = Vector128.ShiftRightLogical(l0, 4) | (h & Vector128.Create((byte)0x30));
        q4 = Vector128.ShiftRightLogical(l1, 4) | Vector128.ShiftRightLogical(h & Vector128.Create((byte)0xC0), 2);
    }

    private static unsafe float DotScalar(byte* xs, byte* ys, int count)
    {
        sbyte* aux8 = stackalloc sbyte[BlockSize];
        float* sums = stackalloc float[8];
        KQuant.ClearLanes(sums);
        for (int b = 0; b < count; b++)
        {
            byte* x = xs + b * BlockBytes;
            byte* y = ys + b * Q8KBlock.BlockBytes;
            byte* q4 = x;
            byte* qh = x + HighOffset;
            sbyte* a = aux8;
            for (int n = 0; n < 2; n++)
            {
                for (int l = 0; l < 32; l++)
                {
                    a[l] = (sbyte)(((q4[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32);
                    a[l + 32] = (sbyte)(((q4[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
                    a[l + 64] = (sbyte)(((q4[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
                    a[l + 96] = (sbyte)(((q4[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
                }
                a += 128;
                q4 += 64;
                qh += 32;
            }
            float d = Fp16Bits.Load(x + DeltaOffset) * Unsafe.ReadUnaligned<float>(y);
            KQuant.AccumulateLanes(aux8, (sbyte*)(y + Q8KBlock.QuantsOffset), Vector128.Load((sbyte*)(x + ScalesOffset)), 16, d, sums);
        }
        return KQuant.SumLanes(sums, 0);
    }

    /// <summary>32 * sum over groups of scale[g] * bsums[g]: the part the -32 offset removes, as eight int lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<int> OffsetSums(Vector256<short> scales16, byte* y) =>
        Avx2.ShiftLeftLogical(KQuant.GroupSums(scales16, y), 5);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe float DotAvx512(byte* xs, byte* ys, int count)
    {
        Vector256<float> acc = Vector256<float>.Zero;
        Vector512<byte> low4 = Vector512.Create((byte)0x0F);
        Vector512<byte> maskA = Vector512.Create(Vector256.Create((byte)0x03), Vector256.Create((byte)0x0C));
        Vector512<byte> maskB = Vector512.Create(Vector256.Create((byte)0x30), Vector256.Create((byte)0xC0));
        Vector512<ushort> shiftA = Vector512.Create(Vector256.Create((ushort)4), Vector256.Create((ushort)2));
        Vector512<ushort> shiftB = Vector512.Create(Vector256<ushort>.Zero, Vector256.Create((ushort)2));
        Vector512<short> pick0 = QuadIndex(0), pick1 = QuadIndex(4), pick2 = QuadIndex(8), pick3 = QuadIndex(12);
        for (int b = 0; b < count; b++)
        {
            byte* x = xs + b * BlockBytes;
            byte* y = ys + b * Q8KBlock.BlockBytes;
            sbyte* q8 = (sbyte*)(y + Q8KBlock.QuantsOffset);
            Vector256<short> sc16 = Avx2.ConvertToVector256Int16((sbyte*)(x + ScalesOffset));
            Vector512<short> table = sc16.ToVector512Unsafe();
            Vector512<int> sumi = Vector512<int>.Zero;
            for (int n = 0; n < 2; n++)
            {
                Vector512<byte> l = Avx512F.LoadVector512(x + 64 * n);
                Vector512<byte> h = Vector512.Create(Avx.LoadVector256(x + HighOffset + 32 * n));
                Vector512<byte> q12 = Avx512F.Or(Avx512F.And(l, low4),
                    Avx512BW.ShiftLeftLogicalVariable(Avx512F.And(h, maskA).AsUInt16(), shiftA).AsByte());
                Vector512<byte> q34 = Avx512F.Or(Avx512F.And(Avx512BW.ShiftRightLogical(l.AsUInt16(), 4).AsByte(), low4),
                    Avx512BW.ShiftRightLogicalVariable(Avx512F.And(h, maskB).AsUInt16(), shiftB).AsByte());
                Vector512<short> p12 = Avx512BW.MultiplyAddAdjacent(q12, Avx512F.LoadVector512(q8 + 128 * n));
                Vector512<short> p34 = Avx512BW.MultiplyAddAdjacent(q34, Avx512F.LoadVector512(q8 + 128 * n + 64));
                Vector512<short> s12 = Avx512BW.PermuteVar32x16(table, n == 0 ? pick0 : pick2);
                Vector512<short> s34 = Avx512BW.PermuteVar32x16(table, n == 0 ? pick1 : pick3);
                sumi = Avx512F.Add(sumi, Avx512F.Add(Avx512BW.MultiplyAddAdjacent(p12, s12), Avx512BW.MultiplyAddAdjacent(p34, s34)));
            }
            Vector256<int> sumi256 = Avx2.Subtract(Avx2.Add(sumi.GetLower(), sumi.GetUpper()), OffsetSums(sc16, y));
            float d = Fp16Bits.Load(x + DeltaOffset) * Unsafe.ReadUnaligned<float>(y);
            acc = Fma.MultiplyAdd(Vector256.Create(d), Avx.ConvertToVector256Single(sumi256), acc);
        }
        return KQuant.Sum(acc);
    }

    /// <summary>vpermw indices: each 128-bit lane k (8 shorts) takes scale g+k.</summary>
    internal static Vector512<short> QuadIndex(int g) => Vector512.Create(
        Vector256.Create(Vector128.Create((short)g), Vector128.Create((short)(g + 1))),
        Vector256.Create(Vector128.Create((short)(g + 2)), Vector128.Create((short)(g + 3))));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe float DotVector128(byte* xs, byte* ys, int count)
    {
        Vector128<float> acc = Vector128<float>.Zero;
        for (int b = 0; b < count; b++)
        {
            byte* x = xs + b * BlockBytes;
            byte* y = ys + b * Q8KBlock.BlockBytes;
            sbyte* q8 = (sbyte*)(y + Q8KBlock.QuantsOffset);
            sbyte* sc = (sbyte*)(x + ScalesOffset);
            short* bsums = (short*)(y + Q8KBlock.SumsOffset);
            int offset = 0;
            for (int g = 0; g < 16; g++)
            {
                offset += sc[g] * bsums[g];
            }
            Vector128<int> sumi = Vector128<int>.Zero;
            for (int n = 0; n < 2; n++)
            {
                for (int h = 0; h < 32; h += 16)
                {
                    Vector128<byte> l0 = Vector128.Load(x + 64 * n + h), l1 = Vector128.Load(x + 64 * n + 32 + h);
                    Vector128<byte> hb = Vector128.Load(x + HighOffset + 32 * n + h);
                    Unpack(l0, l1, hb, out Vector128<byte> q1, out Vector128<byte> q2, out Vector128<byte> q3, out Vector128<byte> q4);
                    int g = 8 * n + h / 16;
                    sbyte* a = q8 + 128 * n + h;
                    sumi += KQuant.DotBytes(q1, Vector128.Load(a)) * (int)sc[g]
                        + KQuant.DotBytes(q2, Vector128.Load(a + 32)) * (int)sc[g + 2]
                        + KQuant.DotBytes(q3, Vector128.Load(a + 64)) * (int)sc[g + 4]
                        + KQuant.DotBytes(q4, Vector128.Load(a + 96)) * (int)sc[g + 6];
                }
            }
            float d = Fp16Bits.Load(x + DeltaOffset) * Unsafe.ReadUnaligned<float>(y);
            acc += Vector128.Create(d) * Vector128.ConvertToSingle(sumi - Vector128.CreateScalar(32 * offset));
        }
        return Vector128.Sum(acc);
    }

    /// <summary>This format's kernels for the shared entry points in <see cref="KQuantRow{TKernels}"/>.</summary>
    private readonly unsafe struct Kernels : IKQuantKernels
    {
        public static string Format => Q6KBlock.Format;
        public static int BlockBytes => Q6KBlock.BlockBytes;
        public static void DequantizeReference(byte* blocks, float* destination, int count) => DequantizeScalar(blocks, destination, count);
        public static void Dequantize(byte* blocks, float* destination, int count, SimdWidth level) =>
            DequantizeSimd(blocks, destination, count, level);
        public static float DotReference(byte* weights, byte* activations, int count) => DotScalar(weights, activations, count);
        public static float DotAvx512(byte* weights, byte* activations, int count) => Q6KBlock.DotAvx512(weights, activations, count);
        public static float DotAvx2(byte* weights, byte* activations, int count) => KQuantTileAvx2<Q6KAvx2Quants>.Row(weights, activations, count);
        public static float DotVector128(byte* weights, byte* activations, int count) => Q6KBlock.DotVector128(weights, activations, count);
    }
}
