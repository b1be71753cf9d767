// Decode-time F16/BF16 kernel: four weight rows against one F32 activation row in one pass, each bit for bit HalfWidthRow's row dot;
// F16Decode runs the same loop over pre-scaled activations with a cheaper widening.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// output[r] = the 512-bit row dot of weight row r with the activations, for r in 0..3: the same two accumulators per
/// row (even and odd 16-lane chunks), the same single-chunk tail, reduction and scalar tail as
/// <see cref="HalfWidthRow{TFloat}"/>'s dot, so every output is that dot's bits. One call per four rows shares each
/// activation load four ways and replaces four calls, four length checks and four reductions spread over short rows
/// (a 768-wide row is only 24 loop trips). Four short row streams train the hardware prefetcher badly (measured 9 against
/// 23 GB/s for one long stream), so the kernel prefetches the next group of rows, contiguous in row-major order, as it goes.
/// </summary>
internal static unsafe class HalfWidthRows<TFloat>
    where TFloat : struct, IHalfWidthFloat
{
    /// <summary>Only where the row dot itself runs at 512 bits, so the two agree.</summary>
    public static bool IsSupported => SimdCapability.Best == SimdWidth.Vector512;

    /// <summary>
    /// <see cref="RowsDot"/> for a half-width matrix in either layout (<see cref="WeightMatrix.RowStride"/>,
    /// <see cref="WeightMatrix.BlockStride"/>): chunk c of 32 elements of row k at weights + c·<paramref name="blockStride"/>
    /// + k·<paramref name="rowStride"/>, so 64 bytes apart in row-major rows and 256 in interleaved groups (whose rows
    /// are whole chunks); the activations F32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(byte* weights, nint rowStride, nint blockStride, byte* activations, int blocks, float* output) =>
        FourRows<FormatWidening512<TFloat>>(weights, rowStride, blockStride, (float*)activations, (float*)activations, blocks, output);

    /// <summary>
    /// The four rows' dots, the vector steps multiplying <typeparamref name="TWiden"/>'s widened weights by
    /// <paramref name="x"/> (<paramref name="exact"/> itself, or it times 2^112 for weights widened without the multiply)
    /// and the scalar tail using <paramref name="exact"/>. Where the widening does not take every value (an F16 infinity
    /// or NaN comes out finite), a witness over the same loads catches such a weight, as the finiteness of the sums
    /// catches a scaled activation that overflowed; either sends the four rows through <see cref="Run"/> over
    /// <paramref name="exact"/>. Chunks are <paramref name="chunkStride"/> apart as in <see cref="Run"/>; row-major rows
    /// (64) prefetch the next group, contiguous after this one, while interleaved groups are one stream the hardware
    /// prefetcher follows (their software prefetch measured slower).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void FourRows<TWiden>(byte* weights, nint rowStride, nint chunkStride, float* x, float* exact, int count, float* output)
        where TWiden : struct, IAvx512Widening
    {
        byte* c = weights;
        byte* next = chunkStride == WeightMatrix.HalfWidthChunkBytes ? weights + 4 * rowStride : null;
        int i = 0;
        Vector512<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
        Vector512<ushort> worst = default;
        for (; i + 32 <= count; i += 32, c += chunkStride)
        {
            if (next != null)
            {
                // The next group of four rows follows this one: its lines in order, four per trip, one group ahead.
                byte* ahead = next + 8 * (nint)i;
                Sse.Prefetch0(ahead);
                Sse.Prefetch0(ahead + 64);
                Sse.Prefetch0(ahead + 128);
                Sse.Prefetch0(ahead + 192);
            }
            ushort* w0 = (ushort*)c, w1 = (ushort*)(c + rowStride), w2 = (ushort*)(c + 2 * rowStride), w3 = (ushort*)(c + 3 * rowStride);
            if (!TWiden.WidensEveryValue)
                worst = Vector512.Max(worst, Vector512.Max(Vector512.Max(Vector512.Load(w0) << 1, Vector512.Load(w1) << 1),
                    Vector512.Max(Vector512.Load(w2) << 1, Vector512.Load(w3) << 1)));
            Vector512<float> x0 = Vector512.Load(x + i), x1 = Vector512.Load(x + i + 16);
            a0 = Avx512F.FusedMultiplyAdd(Load<TWiden>(w0), x0, a0);
            b0 = Avx512F.FusedMultiplyAdd(Load<TWiden>(w0 + 16), x1, b0);
            a1 = Avx512F.FusedMultiplyAdd(Load<TWiden>(w1), x0, a1);
            b1 = Avx512F.FusedMultiplyAdd(Load<TWiden>(w1 + 16), x1, b1);
            a2 = Avx512F.FusedMultiplyAdd(Load<TWiden>(w2), x0, a2);
            b2 = Avx512F.FusedMultiplyAdd(Load<TWiden>(w2 + 16), x1, b2);
            a3 = Avx512F.FusedMultiplyAdd(Load<TWiden>(w3), x0, a3);
            b3 = Avx512F.FusedMultiplyAdd(Load<TWiden>(w3 + 16), x1, b3);
        }
        // What is left of the rows (row-major only): the rest of each row from c on.
        ushort* t0 = (ushort*)c - i, t1 = (ushort*)(c + rowStride) - i, t2 = (ushort*)(c + 2 * rowStride) - i, t3 = (ushort*)(c + 3 * rowStride) - i;
        if (i + 16 <= count)
        {
            if (!TWiden.WidensEveryValue)
                worst = Vector512.Max(worst, Vector256.Max(Vector256.Max(Vector256.Load(t0 + i) << 1, Vector256.Load(t1 + i) << 1),
                    Vector256.Max(Vector256.Load(t2 + i) << 1, Vector256.Load(t3 + i) << 1)).ToVector512());
            Vector512<float> x0 = Vector512.Load(x + i);
            a0 = Avx512F.FusedMultiplyAdd(Load<TWiden>(t0 + i), x0, a0);
            a1 = Avx512F.FusedMultiplyAdd(Load<TWiden>(t1 + i), x0, a1);
            a2 = Avx512F.FusedMultiplyAdd(Load<TWiden>(t2 + i), x0, a2);
            a3 = Avx512F.FusedMultiplyAdd(Load<TWiden>(t3 + i), x0, a3);
            i += 16;
        }
        float s0 = Vector512.Sum(a0 + b0), s1 = Vector512.Sum(a1 + b1), s2 = Vector512.Sum(a2 + b2), s3 = Vector512.Sum(a3 + b3);
        if (!TWiden.WidensEveryValue
            && (!Fp16Bits.AreFinite(worst) || !float.IsFinite(s0) || !float.IsFinite(s1) || !float.IsFinite(s2) || !float.IsFinite(s3)))
        {
            Run(weights, rowStride, chunkStride, (byte*)exact, count, output);
            return;
        }
        for (; i < count; i++)
        {
            s0 += TFloat.ToSingle(t0[i]) * exact[i];
            s1 += TFloat.ToSingle(t1[i]) * exact[i];
            s2 += TFloat.ToSingle(t2[i]) * exact[i];
            s3 += TFloat.ToSingle(t3[i]) * exact[i];
        }
        output[0] = s0;
        output[1] = s1;
        output[2] = s2;
        output[3] = s3;
    }

    /// <summary>Sixteen halves widened to floats by <typeparamref name="TWiden"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Load<TWiden>(ushort* w) where TWiden : struct, IAvx512Widening => TWiden.Widen(Vector256.Load(w));
}

/// <summary>How <see cref="HalfWidthRows{TFloat}.FourRows"/> widens sixteen 16-bit weights for its FMAs.</summary>
internal interface IAvx512Widening
{
    static abstract Vector512<float> Widen(Vector256<ushort> bits);

    /// <summary>Whether every value, infinities and NaN included, widens to itself (else the kernel checks for them).</summary>
    static abstract bool WidensEveryValue { get; }
}

/// <summary>The format's own exact widening, as its 512-bit row dot widens (<see cref="IHalfWidthFloat.Widen"/>).</summary>
internal readonly struct FormatWidening512<TFloat> : IAvx512Widening
    where TFloat : struct, IHalfWidthFloat
{
    public static Vector512<float> Widen(Vector256<ushort> bits) => TFloat.Widen(bits);

    public static bool WidensEveryValue => true;
}
