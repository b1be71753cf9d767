// F16 decoding over activations packed once per token as x·2^112 beside x, so each weight widens in three instructions:
// HalfWidthTileAvx2.FourRows on AVX2 (against four), RowsAvx512 on AMD's AVX-512 (against eleven).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// The decode-only <see cref="PairTile"/> of F16: <see cref="Pack"/> writes a token's F32 activations twice, times 2^112
/// and as they are; <see cref="Rows"/> (AVX2) and <see cref="RowsAvx512"/> dot four rows with the first copy through
/// Fp16Bits.WidenScaledDown (no multiply per weight vector) and keep the second for their scalar tail and their exact
/// fallback. Every output is bit for bit the row dot of that width: an FMA over w·2^-112 and x·2^112 rounds w·x + acc
/// exactly as one over w and x, and an activation of 2^16 or more, whose scaled copy overflows, makes the sum infinite
/// or NaN and so sends the group down the exact path.
/// </summary>
internal static unsafe class F16Decode
{
    /// <summary>Bytes per element (block) of a packed token: the scaled and the exact float.</summary>
    public const int PairBlockBytes = 2 * sizeof(float);

    /// <summary>
    /// <see cref="ActivationPack"/>: for each of <paramref name="pairs"/> tokens (each a pair with itself; rows
    /// 2p·<paramref name="rowBytes"/> apart), its <paramref name="blocks"/> floats times 2^112, then the floats themselves.
    /// </summary>
    public static void Pack(byte* rows, nint rowBytes, int pairs, int blocks, byte* packed)
    {
        for (int p = 0; p < pairs; p++)
        {
            float* x = (float*)(rows + 2 * p * rowBytes);
            float* scaled = (float*)(packed + (nint)p * blocks * PairBlockBytes), exact = scaled + blocks;
            int i = 0;
            for (; i + 8 <= blocks; i += 8)
            {
                Vector256<float> v = Vector256.Load(x + i);
                (v * Fp16Bits.ScaleUp).Store(scaled + i);
                v.Store(exact + i);
            }
            for (; i < blocks; i++)
            {
                scaled[i] = x[i] * Fp16Bits.ScaleUp;
                exact[i] = x[i];
            }
        }
    }

    /// <summary><see cref="RowsDot"/> over one token packed by <see cref="Pack"/> with AVX2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows(byte* weights, nint rowStride, nint blockStride, byte* activations, int blocks, float* output)
    {
        float* scaled = (float*)activations;
        HalfWidthTileAvx2.FourRows<Fp16Float, ScaledDownWidening>(weights, rowStride, scaled, scaled + blocks, blocks, output);
    }

    /// <summary>
    /// Whether <see cref="RowsAvx512"/> decodes F16 here: where the row dot runs at 512 bits, on AMD only. An F16
    /// subnormal weight becomes an F32 subnormal FMA operand, free on Zen 5 (the kernel streamed 75 GB/s from cache with
    /// weights of 10^-4, most of them subnormal, as with weights of 0.05), while Intel cores take a microcode assist on
    /// subnormal multiply operands.
    /// </summary>
    public static bool Avx512IsSupported => HalfWidthRows<Fp16Float>.IsSupported && CpuVendor.IsAmd;

    /// <summary>
    /// <see cref="RowsDot"/> over one token packed by <see cref="Pack"/> with AVX-512: <see cref="HalfWidthRows{TFloat}"/>'s
    /// accumulators, order, tail and reduction over weights widened in three instructions instead of eleven (TinyLlama
    /// F16's layer rows streamed at 75.6 against 28.2 GB/s from cache on Zen 5, 21.9 against 18.8 from memory). An F16
    /// infinity or NaN, which this widening does not convert, is caught in the same pass, as is a sum that came out
    /// infinite or NaN; either sends the four rows through <see cref="HalfWidthRows{TFloat}.Run"/> over the exact copy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RowsAvx512(byte* weights, nint rowStride, nint blockStride, byte* activations, int blocks, float* output)
    {
        float* scaled = (float*)activations, exact = scaled + blocks;
        ushort* w0 = (ushort*)weights, w1 = (ushort*)(weights + rowStride);
        ushort* w2 = (ushort*)(weights + 2 * rowStride), w3 = (ushort*)(weights + 3 * rowStride);
        byte* next = weights + 4 * rowStride;
        int count = blocks, i = 0;
        Vector512<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
        Vector512<ushort> worst = default;
        for (; i + 32 <= count; i += 32)
        {
            // The next group of four rows follows this one: its lines in order, four per trip, one group ahead.
            byte* ahead = next + 8 * (nint)i;
            Sse.Prefetch0(ahead);
            Sse.Prefetch0(ahead + 64);
            Sse.Prefetch0(ahead + 128);
            Sse.Prefetch0(ahead + 192);
            Vector512<ushort> h0 = Vector512.Load(w0 + i), h1 = Vector512.Load(w1 + i), h2 = Vector512.Load(w2 + i), h3 = Vector512.Load(w3 + i);
            worst = Vector512.Max(worst, Vector512.Max(Vector512.Max(h0 << 1, h1 << 1), Vector512.Max(h2 << 1, h3 << 1)));
            Vector512<float> x0 = Vector512.Load(scaled + i), x1 = Vector512.Load(scaled + i + 16);
            a0 = Avx512F.FusedMultiplyAdd(Fp16Bits.WidenScaledDown(h0.GetLower()), x0, a0);
            b0 = Avx512F.FusedMultiplyAdd(Fp16Bits.WidenScaledDown(h0.GetUpper()), x1, b0);
            a1 = Avx512F.FusedMultiplyAdd(Fp16Bits.WidenScaledDown(h1.GetLower()), x0, a1);
            b1 = Avx512F.FusedMultiplyAdd(Fp16Bits.WidenScaledDown(h1.GetUpper()), x1, b1);
            a2 = Avx512F.FusedMultiplyAdd(Fp16Bits.WidenScaledDown(h2.GetLower()), x0, a2);
            b2 = Avx512F.FusedMultiplyAdd(Fp16Bits.WidenScaledDown(h2.GetUpper()), x1, b2);
            a3 = Avx512F.FusedMultiplyAdd(Fp16Bits.WidenScaledDown(h3.GetLower()), x0, a3);
            b3 = Avx512F.FusedMultiplyAdd(Fp16Bits.WidenScaledDown(h3.GetUpper()), x1, b3);
        }
        if (i + 16 <= count)
        {
            Vector256<ushort> h0 = Vector256.Load(w0 + i), h1 = Vector256.Load(w1 + i), h2 = Vector256.Load(w2 + i), h3 = Vector256.Load(w3 + i);
            Vector256<ushort> last = Vector256.Max(Vector256.Max(h0 << 1, h1 << 1), Vector256.Max(h2 << 1, h3 << 1));
            worst = Vector512.Max(worst, last.ToVector512());
            Vector512<float> x0 = Vector512.Load(scaled + i);
            a0 = Avx512F.FusedMultiplyAdd(Fp16Bits.WidenScaledDown(h0), x0, a0);
            a1 = Avx512F.FusedMultiplyAdd(Fp16Bits.WidenScaledDown(h1), x0, a1);
            a2 = Avx512F.FusedMultiplyAdd(Fp16Bits.WidenScaledDown(h2), x0, a2);
            a3 = Avx512F.FusedMultiplyAdd(Fp16Bits.WidenScaledDown(h3), x0, a3);
            i += 16;
        }
        Vector128<float> sums = Vector128.Create(Vector512.Sum(a0 + b0), Vector512.Sum(a1 + b1), Vector512.Sum(a2 + b2), Vector512.Sum(a3 + b3));
        if (!Fp16Bits.AreFinite(worst) || !Vector128.EqualsAll(Vector128.IsFinite(sums).AsUInt32(), Vector128<uint>.AllBitsSet))
        {
            HalfWidthRows<Fp16Float>.Run(weights, rowStride, blockStride, (byte*)exact, blocks, output);
            return;
        }
        float s0 = sums.GetElement(0), s1 = sums.GetElement(1), s2 = sums.GetElement(2), s3 = sums.GetElement(3);
        for (; i < count; i++)
        {
            s0 += Fp16Float.ToSingle(w0[i]) * exact[i];
            s1 += Fp16Float.ToSingle(w1[i]) * exact[i];
            s2 += Fp16Float.ToSingle(w2[i]) * exact[i];
            s3 += Fp16Float.ToSingle(w3[i]) * exact[i];
        }
        output[0] = s0;
        output[1] = s1;
        output[2] = s2;
        output[3] = s3;
    }

    private readonly struct ScaledDownWidening : IAvx2Widening
    {
        public static Vector256<float> Widen(Vector128<ushort> bits) => Fp16Bits.WidenScaledDown(bits);
    }
}
