// ggml's Q8_K activation blocks (float d, 256 int8 quants, 16 int16 group sums): quantize and dequantize; not a weight format.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// Q8_K: the activation side of every K-quant dot product. Layout of one 292-byte block:
/// <c>float d; int8 qs[256]; int16 bsums[16]</c>, where value = d * qs[i] and bsums[g] = sum of qs[16g .. 16g+15].
/// </summary>
public static class Q8KBlock
{
    public const int BlockSize = 256, BlockBytes = 292;

    internal const int QuantsOffset = 4, SumsOffset = 260;

    /// <summary>
    /// Scalar quantizer, byte-exact with ggml's quantize_row_q8_K_ref: iscale = -127 / max where max is the signed value of
    /// largest magnitude (the first one), q = min(127, nearest_int(iscale * x)), d = 1 / iscale.
    /// An all-zero block gets d = 0, zero quants and zero sums (ggml leaves its sums unwritten there).
    /// </summary>
    public static void QuantizeReference(ReadOnlySpan<float> source, Span<byte> blocks)
    {
        int count = KQuant.CheckQuantize("Q8_K", BlockBytes, source, blocks);
        for (int b = 0; b < count; b++)
        {
            ReadOnlySpan<float> x = source.Slice(b * BlockSize, BlockSize);
            Span<byte> y = blocks.Slice(b * BlockBytes, BlockBytes);
            float max = 0, amax = 0;
            for (int j = 0; j < BlockSize; j++)
            {
                float ax = MathF.Abs(x[j]);
                if (ax > amax)
                {
                    amax = ax;
                    max = x[j];
                }
            }
            if (amax == 0)
            {
                y.Clear();
                continue;
            }
            float iscale = -127f / max;
            Span<sbyte> qs = MemoryMarshal.Cast<byte, sbyte>(y.Slice(QuantsOffset, BlockSize));
            for (int j = 0; j < BlockSize; j++)
            {
                qs[j] = (sbyte)Math.Min(127, NearestInt(iscale * x[j]));
            }
            Span<short> sums = MemoryMarshal.Cast<byte, short>(y.Slice(SumsOffset, 32));
            for (int g = 0; g < 16; g++)
            {
                int sum = 0;
                for (int i = 0; i < 16; i++)
                {
                    sum += qs[g * 16 + i];
                }
                sums[g] = (short)sum;
            }
            MemoryMarshal.Write(y, 1 / iscale);
        }
    }

    /// <summary>Vectorized quantizer writing exactly the bytes of <see cref="QuantizeReference"/>.</summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> blocks) => Quantize(source, blocks, SimdCapability.Best);

    /// <summary><see cref="Quantize(ReadOnlySpan{float}, Span{byte})"/> at <paramref name="level"/> (the reference at Scalar; for tests).</summary>
    internal static unsafe void Quantize(ReadOnlySpan<float> source, Span<byte> blocks, SimdWidth level)
    {
        if (level == SimdWidth.Scalar)
        {
            QuantizeReference(source, blocks);
            return;
        }
        int count = KQuant.CheckQuantize("Q8_K", BlockBytes, source, blocks);
        fixed (float* xs = source)
        fixed (byte* ys = blocks)
        {
            if (level == SimdWidth.Vector512)
                for (int b = 0; b < count; b++) QuantizeBlock512(xs + b * BlockSize, ys + b * BlockBytes);
            else
                for (int b = 0; b < count; b++) QuantizeBlock(xs + b * BlockSize, ys + b * BlockBytes);
        }
    }

    private static unsafe void QuantizeBlock(float* x, byte* y)
    {
        Vector128<float> amaxv = Vector128<float>.Zero;
        for (int j = 0; j < BlockSize; j += 4)
        {
            amaxv = Vector128.Max(amaxv, Vector128.Abs(Vector128.Load(x + j)));
        }
        float amax = Math.Max(Math.Max(amaxv[0], amaxv[1]), Math.Max(amaxv[2], amaxv[3]));
        if (amax == 0)
        {
            new Span<byte>(y, BlockBytes).Clear();
            return;
        }
        float max = 0;
        for (int j = 0; j < BlockSize; j++)
        {
            if (MathF.Abs(x[j]) == amax)
            {
                max = x[j];
                break;
            }
        }
        float iscale = -127f / max;
        sbyte* qs = (sbyte*)(y + QuantsOffset);
        short* sums = (short*)(y + SumsOffset);
        Vector128<float> scale = Vector128.Create(iscale);
        Vector128<float> magic = Vector128.Create(12582912f);
        Vector128<int> mantissa = Vector128.Create(0x007fffff), bias = Vector128.Create(0x00400000);
        Vector128<int> top = Vector128.Create(127);
        for (int g = 0; g < 16; g++)
        {
            Vector128<int> sum = Vector128<int>.Zero;
            for (int k = 0; k < 4; k++)
            {
                // nearest_int: adding 1.5 * 2^23 leaves the rounded integer in the low mantissa bits.
                Vector128<float> v = scale * Vector128.Load(x + g * 16 + k * 4) + magic;
                Vector128<int> q = Vector128.Min((v.AsInt32() & mantissa) - bias, top);
                sum += q;
                Store4(q, qs + g * 16 + k * 4);
            }
            sums[g] = (short)Vector128.Sum(sum);
        }
        Unsafe.WriteUnaligned(y, 1 / iscale);
    }

    /// <summary>
    /// <see cref="QuantizeBlock"/> sixteen floats at a time: one group of 16 per vector, the same multiply then add per
    /// element, the quants narrowed by vpmovdb, and the sixteen group sums by a transposing add tree (exact in int32).
    /// </summary>
    private static unsafe void QuantizeBlock512(float* x, byte* y)
    {
        Vector512<float> amaxv = Vector512<float>.Zero;
        for (int g = 0; g < 16; g++) amaxv = Vector512.Max(amaxv, Vector512.Abs(Vector512.Load(x + 16 * g)));
        Vector256<float> m8 = Vector256.Max(amaxv.GetLower(), amaxv.GetUpper());
        Vector128<float> m4 = Vector128.Max(m8.GetLower(), m8.GetUpper());
        float amax = Math.Max(Math.Max(m4[0], m4[1]), Math.Max(m4[2], m4[3]));
        if (amax == 0)
        {
            new Span<byte>(y, BlockBytes).Clear();
            return;
        }
        // The signed value of the first element of largest magnitude.
        float max = 0;
        Vector512<float> target = Vector512.Create(amax);
        for (int g = 0; g < 16; g++)
        {
            ulong hits = Vector512.Equals(Vector512.Abs(Vector512.Load(x + 16 * g)), target).ExtractMostSignificantBits();
            if (hits != 0)
            {
                max = x[16 * g + BitOperations.TrailingZeroCount(hits)];
                break;
            }
        }
        float iscale = -127f / max;
        var groups = new Groups512(iscale, (sbyte*)(y + QuantsOffset));
        Vector512<int> f0 = groups.Four(x, 0), f1 = groups.Four(x, 4), f2 = groups.Four(x, 8), f3 = groups.Four(x, 12);
        // Lane g of the result: group g's sum. f_k's four 128-bit lanes are partial sums of groups 4k..4k+3, added in two
        // rounds of lane shuffles (0x88 picks lanes 0 and 2 of each source, 0xDD lanes 1 and 3).
        Vector512<int> low = Avx512F.Shuffle4x128(f0, f1, 0x88) + Avx512F.Shuffle4x128(f0, f1, 0xDD);
        Vector512<int> high = Avx512F.Shuffle4x128(f2, f3, 0x88) + Avx512F.Shuffle4x128(f2, f3, 0xDD);
        Vector512<int> sums = Avx512F.Shuffle4x128(low, high, 0x88) + Avx512F.Shuffle4x128(low, high, 0xDD);
        Avx512F.ConvertToVector256Int16(sums).Store((short*)(y + SumsOffset));
        Unsafe.WriteUnaligned(y, 1 / iscale);
    }

    /// <summary>The constants of <see cref="QuantizeBlock512"/>'s quantizing loop, and where its quants go.</summary>
    private readonly unsafe struct Groups512(float iscale, sbyte* qs)
    {
        private readonly Vector512<float> _scale = Vector512.Create(iscale);
        private readonly sbyte* _qs = qs;

        /// <summary>
        /// Quantizes groups g..g+3 (16 floats each) and returns, per 128-bit lane, their four partial sums [Σa, Σb, Σc, Σd]
        /// (integer adds, so exact).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<int> Four(float* x, int g)
        {
            Vector512<int> a = One(x, g), b = One(x, g + 1), c = One(x, g + 2), d = One(x, g + 3);
            // Per lane [a0+a2, b0+b2, a1+a3, b1+b3], then the 64-bit halves of two such picked and added as int32 lanes.
            Vector512<int> ab = Avx512F.UnpackLow(a, b) + Avx512F.UnpackHigh(a, b);
            Vector512<int> cd = Avx512F.UnpackLow(c, d) + Avx512F.UnpackHigh(c, d);
            return Avx512F.UnpackLow(ab.AsInt64(), cd.AsInt64()).AsInt32() + Avx512F.UnpackHigh(ab.AsInt64(), cd.AsInt64()).AsInt32();
        }

        /// <summary>Group g: q = min(127, nearest_int(iscale · x)) as the scalar code forms it (multiply, then add), stored as int8.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private Vector512<int> One(float* x, int g)
        {
            // nearest_int: adding 1.5 * 2^23 leaves the rounded integer in the low mantissa bits.
            Vector512<float> v = _scale * Vector512.Load(x + 16 * g) + Vector512.Create(12582912f);
            Vector512<int> q = Vector512.Min((v.AsInt32() & Vector512.Create(0x007fffff)) - Vector512.Create(0x00400000), Vector512.Create(127));
            Avx512F.ConvertToVector128SByte(q).Store(_qs + 16 * g);
            return q;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store4(Vector128<int> q, sbyte* destination)
    {
        Vector128<sbyte> bytes = Vector128.Narrow(Vector128.Narrow(q, q), Vector128<short>.Zero);
        Unsafe.WriteUnaligned(destination, bytes.AsInt32().ToScalar());
    }

    /// <summary>Scalar dequantizer, bit-exact with ggml's dequantize_row_q8_K: y = qs[i] * d.</summary>
    public static void DequantizeReference(ReadOnlySpan<byte> blocks, Span<float> destination)
    {
        int count = KQuant.CheckDequantize("Q8_K", BlockBytes, blocks, destination);
        for (int b = 0; b < count; b++)
        {
            ReadOnlySpan<byte> x = blocks.Slice(b * BlockBytes, BlockBytes);
            float d = MemoryMarshal.Read<float>(x);
            for (int j = 0; j < BlockSize; j++)
            {
                destination[b * BlockSize + j] = (sbyte)x[QuantsOffset + j] * d;
            }
        }
    }

    /// <summary>ggml's nearest_int: round half to even through the 1.5 * 2^23 trick, valid for |x| below 2^22.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int NearestInt(float value)
    {
        float shifted = value + 12582912f;
        return (BitConverter.SingleToInt32Bits(shifted) & 0x007fffff) - 0x00400000;
    }
}
