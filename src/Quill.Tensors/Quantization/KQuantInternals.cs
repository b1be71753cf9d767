// Shared plumbing of the K-quant block formats: size checks, scale unpacking; no format logic (fp16 reads are Fp16Bits', the SIMD width SimdCapability's).
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>Small helpers every K-quant format uses: argument checks, 6-bit scale unpacking, scaled expansion.</summary>
internal static class KQuant
{
    public const int BlockSize = Q8KBlock.BlockSize;

    /// <summary>Returns the block count of a dequantize call after checking both spans (inlined: the block size folds).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CheckDequantize(string format, int blockBytes, ReadOnlySpan<byte> blocks, Span<float> destination)
    {
        int count = blocks.Length / blockBytes;
        if (count * blockBytes != blocks.Length || destination.Length < count * BlockSize)
        {
            ThrowDequantize(format, blockBytes, blocks.Length, destination.Length);
        }
        return count;
    }

    /// <summary>Returns the block count of a dot call after checking that weights and Q8_K activations pair up.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CheckDot(string format, int blockBytes, ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations)
    {
        int count = weights.Length / blockBytes;
        if (count * blockBytes != weights.Length || activations.Length != count * Q8KBlock.BlockBytes)
        {
            ThrowDot(format, blockBytes, weights.Length, activations.Length);
        }
        return count;
    }

    /// <summary>Returns the number of 256-element groups after checking a float source and its block destination.</summary>
    public static int CheckQuantize(string format, int blockBytes, ReadOnlySpan<float> source, Span<byte> blocks)
    {
        if (source.Length % BlockSize != 0)
        {
            ThrowNotWholeBlocks(format, BlockSize, source.Length, "source elements");
        }
        int count = source.Length / BlockSize;
        if (blocks.Length < count * blockBytes)
        {
            ThrowDestinationTooShort(format, count * blockBytes, blocks.Length);
        }
        return count;
    }

    [DoesNotReturn]
    private static void ThrowDequantize(string format, int blockBytes, int blocks, int destination)
    {
        if (blocks % blockBytes != 0)
        {
            ThrowNotWholeBlocks(format, blockBytes, blocks, "blocks");
        }
        ThrowDestinationTooShort(format, blocks / blockBytes * BlockSize, destination);
    }

    [DoesNotReturn]
    private static void ThrowDot(string format, int blockBytes, int weights, int activations)
    {
        if (weights % blockBytes != 0)
        {
            ThrowNotWholeBlocks(format, blockBytes, weights, "weightBlocks");
        }
        if (activations % Q8KBlock.BlockBytes != 0)
        {
            ThrowNotWholeBlocks("Q8_K", Q8KBlock.BlockBytes, activations, "activationBlocks");
        }
        throw new InvalidDataException(
            $"{format}: expected as many Q8_K activation blocks as weight blocks ({weights / blockBytes}), found {activations / Q8KBlock.BlockBytes}, in " +
                $"activationBlocks");
    }

    [DoesNotReturn]
    private static void ThrowNotWholeBlocks(string format, int unit, int found, string where) =>
        throw new InvalidDataException($"{format}: expected a whole number of {unit}-unit blocks, found {found}, in {where}");

    [DoesNotReturn]
    private static void ThrowDestinationTooShort(string format, int needed, int found) =>
        throw new ArgumentException($"{format}: expected a destination of at least {needed} elements, found {found}, in destination");

    /// <summary>
    /// Unpacks the 12-byte, 6-bit scale/min table of Q4_K and Q5_K (ggml's get_scale_min_k4 for all j at once):
    /// bytes 0..7 of the result are the 8 scales, bytes 8..15 the 8 mins.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector128<byte> UnpackScaleMin(byte* scales)
    {
        uint u0 = Unsafe.ReadUnaligned<uint>(scales);
        uint u1 = Unsafe.ReadUnaligned<uint>(scales + 4);
        uint u2 = Unsafe.ReadUnaligned<uint>(scales + 8);
        uint s0 = u0 & 0x3f3f3f3f;
        uint s1 = (u2 & 0x0f0f0f0f) | (((u0 >> 6) & 0x03030303) << 4);
        uint m0 = u1 & 0x3f3f3f3f;
        uint m1 = ((u2 >> 4) & 0x0f0f0f0f) | (((u1 >> 6) & 0x03030303) << 4);
        return Vector128.Create(s0, s1, m0, m1).AsByte();
    }

    /// <summary>
    /// <see cref="UnpackScaleMin"/> in ten SSSE3 instructions instead of about 25 scalar ones and three inserts: two
    /// shuffles put each output byte's source bytes in its lane, masks and 16-bit shifts cut the fields out. Reads 16
    /// bytes at <paramref name="scales"/>: the table and the 4 bytes of the block after it (Q4_K's quants, Q5_K's high bits).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector128<byte> UnpackScaleMinSsse3(byte* scales)
    {
        Vector128<byte> table = Sse2.LoadVector128(scales);
        // Scales 0..3 and mins 0..3 are bytes 0..3 and 4..7 (low six bits); scales 4..7 and mins 4..7 are the low and high
        // nibbles of bytes 8..11, with bits 6..7 of bytes 0..3 and 4..7 above them.
        Vector128<byte> fields = Ssse3.Shuffle(table, Vector128.Create((byte)0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11));
        Vector128<byte> tops = Ssse3.Shuffle(table, Vector128.Create((byte)0x80, 0x80, 0x80, 0x80, 0, 1, 2, 3, 0x80, 0x80, 0x80, 0x80, 4, 5, 6, 7));
        Vector128<byte> low = Sse2.And(fields, Vector128.Create(0x3F3F3F3Fu, 0x0F0F0F0Fu, 0x3F3F3F3Fu, 0u).AsByte());
        Vector128<byte> high = Sse2.And(Sse2.ShiftRightLogical(fields.AsUInt16(), 4).AsByte(), Vector128.Create(0u, 0u, 0u, 0x0F0F0F0Fu).AsByte());
        Vector128<byte> top = Sse2.And(Sse2.ShiftRightLogical(tops.AsUInt16(), 2).AsByte(), Vector128.Create(0u, 0x30303030u, 0u, 0x30303030u).AsByte());
        return Sse2.Or(Sse2.Or(low, high), top);
    }

    /// <summary>
    /// Unpacks the 12-byte, 6-bit scale table of Q3_K into 16 unsigned values 0..63 (subtract 32 for the signed scale).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector128<byte> UnpackQ3Scales(byte* scales)
    {
        const uint low4 = 0x0f0f0f0f, low2 = 0x03030303;
        uint a0 = Unsafe.ReadUnaligned<uint>(scales);
        uint a1 = Unsafe.ReadUnaligned<uint>(scales + 4);
        uint tmp = Unsafe.ReadUnaligned<uint>(scales + 8);
        uint s0 = (a0 & low4) | (((tmp >> 0) & low2) << 4);
        uint s1 = (a1 & low4) | (((tmp >> 2) & low2) << 4);
        uint s2 = ((a0 >> 4) & low4) | (((tmp >> 4) & low2) << 4);
        uint s3 = ((a1 >> 4) & low4) | (((tmp >> 6) & low2) << 4);
        return Vector128.Create(s0, s1, s2, s3).AsByte();
    }

    /// <summary>
    /// destination[i] = scale[i / groupSize] * q[i] - min[i / groupSize] for 256 elements, computed as one float multiply
    /// then one float subtract (no fused multiply-add) so that it matches ggml's scalar dequantizers bit for bit.
    /// A null <paramref name="mins"/> means no subtraction.
    /// </summary>
    public static unsafe void Expand(sbyte* q, float* scales, float* mins, int groupSize, float* destination, SimdWidth level)
    {
        int groups = BlockSize / groupSize;
        for (int g = 0; g < groups; g++)
        {
            sbyte* qg = q + g * groupSize;
            float* dg = destination + g * groupSize;
            float s = scales[g];
            float m = mins == null ? 0f : mins[g];
            int i = 0;
            if (level >= SimdWidth.Vector256)
            {
                Vector256<float> sv = Vector256.Create(s), mv = Vector256.Create(m);
                for (; i < groupSize; i += 8)
                {
                    Vector256<float> f = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(qg + i));
                    f = Avx.Multiply(sv, f);
                    if (mins != null)
                    {
                        f = Avx.Subtract(f, mv);
                    }
                    Avx.Store(dg + i, f);
                }
            }
            else if (level == SimdWidth.Vector128)
            {
                Vector128<float> sv = Vector128.Create(s), mv = Vector128.Create(m);
                for (; i < groupSize; i += 16)
                {
                    (Vector128<short> lo, Vector128<short> hi) = Vector128.Widen(Vector128.Load(qg + i));
                    (Vector128<int> a, Vector128<int> b) = Vector128.Widen(lo);
                    (Vector128<int> c, Vector128<int> d) = Vector128.Widen(hi);
                    StoreScaled(a, sv, mv, mins != null, dg + i);
                    StoreScaled(b, sv, mv, mins != null, dg + i + 4);
                    StoreScaled(c, sv, mv, mins != null, dg + i + 8);
                    StoreScaled(d, sv, mv, mins != null, dg + i + 12);
                }
            }
            else
            {
                for (; i < groupSize; i++)
                {
                    dg[i] = mins == null ? s * qg[i] : s * qg[i] - m;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreScaled(Vector128<int> v, Vector128<float> s, Vector128<float> m, bool subtract, float* destination)
    {
        Vector128<float> f = s * Vector128.ConvertToSingle(v);
        (subtract ? f - m : f).Store(destination);
    }

    /// <summary>Zeroes the eight float lanes of a scalar reference dot.</summary>
    public static unsafe void ClearLanes(float* lanes)
    {
        for (int l = 0; l < 8; l++)
        {
            lanes[l] = 0;
        }
    }

    /// <summary>
    /// One block of ggml's generic K-quant dot (the aux32/sums pattern): for each group g of <paramref name="groupSize"/>
    /// weights, scales[g] times the int16-truncated products q8*a summed into eight int lanes; then lanes[l] += d * lane l.
    /// </summary>
    public static unsafe void AccumulateLanes(sbyte* a, sbyte* q8, Vector128<sbyte> scales, int groupSize, float d, float* lanes)
    {
        int* aux32 = stackalloc int[8];
        for (int l = 0; l < 8; l++)
        {
            aux32[l] = 0;
        }
        for (int j = 0; j < BlockSize / groupSize; j++)
        {
            int scale = scales[j];
            for (int r = 0; r < groupSize / 8; r++)
            {
                for (int l = 0; l < 8; l++)
                {
                    aux32[l] += scale * (short)(q8[l] * a[l]);
                }
                q8 += 8;
                a += 8;
            }
        }
        for (int l = 0; l < 8; l++)
        {
            lanes[l] += d * aux32[l];
        }
    }

    /// <summary><paramref name="start"/> plus the eight lanes, added in lane order as ggml's generic kernels do.</summary>
    public static unsafe float SumLanes(float* lanes, float start)
    {
        for (int l = 0; l < 8; l++)
        {
            start += lanes[l];
        }
        return start;
    }

    /// <summary>pshufb mask broadcasting 16-bit element k to every 16-bit slot of both 128-bit lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> ShortBroadcast(int k) => Vector256.Create((short)(0x0100 + 0x0202 * k)).AsByte();

    /// <summary>Sum of 16 products u[i]*a[i] (u unsigned bytes below 64, a signed bytes) as four int lanes, portably.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> DotBytes(Vector128<byte> u, Vector128<sbyte> a)
    {
        (Vector128<ushort> ul, Vector128<ushort> uh) = Vector128.Widen(u);
        (Vector128<short> al, Vector128<short> ah) = Vector128.Widen(a);
        Vector128<short> p = ul.AsInt16() * al + uh.AsInt16() * ah;
        (Vector128<int> pl, Vector128<int> ph) = Vector128.Widen(p);
        return pl + ph;
    }

    /// <summary>Horizontal sum of eight floats in ggml's hsum_float_8 order (<see cref="GgmlX86BlockDot.HorizontalSum(Vector256{float})"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> v) => GgmlX86BlockDot.HorizontalSum(v);

    /// <summary>Horizontal sum of four floats in ggml's order for its min accumulators: (a0 + a2) + (a1 + a3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector128<float> v) => GgmlX86BlockDot.HorizontalSum(v);

    /// <summary>pshufb mask over 16 per-group scale bytes: bytes 0..7 pick scale g, bytes 8..15 pick scale g+1.</summary>
    public static Vector128<byte> PairMask(int g) =>
        Vector128.Create(0x0101010101010101UL * (ulong)g, 0x0101010101010101UL * (ulong)(g + 1)).AsByte();

    /// <summary>
    /// Sixteen shorts for vpmaddwd after vpmaddubsw of 32 weights in 16-weight groups: scale g eight times, then scale g+1
    /// eight times (the two 128-bit lanes hold the two groups). Scales are signed bytes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<short> PairScales(Vector128<byte> scales, Vector128<byte> pick) =>
        Avx2.ConvertToVector256Int16(Ssse3.Shuffle(scales, pick).AsSByte());

    /// <summary>Sum over the 16 groups of scales16[g] * bsums[g] of one Q8_K block, as eight int lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector256<int> GroupSums(Vector256<short> scales16, byte* q8kBlock) =>
        Avx2.MultiplyAddAdjacent(Avx.LoadVector256((short*)(q8kBlock + Q8KBlock.SumsOffset)), scales16);

    /// <summary>Q4_K/Q5_K min term of one Q8_K block, scalar: sum over j of bsums[j] * min[j / 2], mins in bytes 8..15 of <paramref
    /// name="scalesAndMins"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe int MinSum(Vector128<byte> scalesAndMins, byte* q8kBlock)
    {
        short* bsums = (short*)(q8kBlock + Q8KBlock.SumsOffset);
        int sum = 0;
        for (int j = 0; j < 16; j++)
        {
            sum += bsums[j] * scalesAndMins[8 + j / 2];
        }
        return sum;
    }

    /// <summary>
    /// Q4_K/Q5_K min term of one Q8_K block: sum over k of min[k] * (bsums[2k] + bsums[2k+1]), as four int lanes.
    /// <paramref name="scalesAndMins16"/> holds the 8 scales then the 8 mins widened to shorts.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector128<int> MinSums(Vector256<short> scalesAndMins16, byte* q8kBlock) =>
        Sse2.MultiplyAddAdjacent(scalesAndMins16.GetUpper(), PairSums(q8kBlock));

    /// <summary>
    /// The four min lanes summed into lane 0, lanes 1..3 zero (ggml's Q5_K dot adds its min term as one float per block,
    /// <c>summs += dmin · Σ</c>; four float lanes fed this way keep that one chain in lane 0, and their final
    /// (m0 + m2) + (m1 + m3) is m0). Integer sums are exact in any order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> IntoLaneZero(Vector128<int> lanes) =>
        Ssse3.HorizontalAdd(Ssse3.HorizontalAdd(lanes, Vector128<int>.Zero), Vector128<int>.Zero);

    /// <summary><see cref="IntoLaneZero(Vector128{int})"/> in each 128-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> IntoLaneZero(Vector512<int> lanes)
    {
        lanes = Avx512F.Add(lanes, Avx512F.Shuffle(lanes, 0x4E));
        lanes = Avx512F.Add(lanes, Avx512F.Shuffle(lanes, 0xB1));
        return Avx512F.And(lanes, Vector512.Create(-1, 0, 0, 0, -1, 0, 0, 0, -1, 0, 0, 0, -1, 0, 0, 0));
    }

    /// <summary>The sixteen bsums of one Q8_K block added in pairs (bsums[2k] + bsums[2k+1]), as the min terms read them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector128<short> PairSums(byte* q8kBlock)
    {
        Vector256<short> bsums = Avx.LoadVector256((short*)(q8kBlock + Q8KBlock.SumsOffset));
        return Ssse3.HorizontalAdd(bsums.GetLower(), bsums.GetUpper());
    }
}
