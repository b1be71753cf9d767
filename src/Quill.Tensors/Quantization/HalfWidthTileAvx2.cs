// The AVX2 forms of the F16/BF16 prompt tile and decode kernel, in the AVX2 row dot's order; HalfWidthTile drives the tile.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Quill.Tensors.Quantization;

/// <summary>
/// Every output summed in exactly the order of <see cref="HalfWidthRow{TFloat}"/>'s Vector256 dot: two accumulators
/// over alternate 8-lane chunks, one more chunk into the first, <see cref="Vector256.Sum{T}(Vector256{T})"/> of their
/// sum, then a scalar tail, so batched and decoded rows are bit for bit the row dot on a machine whose widest level is AVX2.
/// </summary>
internal static unsafe class HalfWidthTileAvx2
{
    /// <summary>
    /// Rows w, w + k (widened) against tokens x, x + k over K floats [from, to) (whole 16-float steps), from zero or from
    /// the eight accumulators parked at <paramref name="parked"/>; then parks them again or, when <paramref name="finish"/>,
    /// adds the last 8-float chunk and the scalar tail and writes y[j·n + r] for rows r and tokens j below 2.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(float* w, int k, float* x, float* y, int n, Vector256<float>* parked, int from, int to, bool finish)
    {
        float* w1 = w + k, x1 = x + k;
        Vector256<float> a00 = default, b00 = default, a01 = default, b01 = default, a10 = default, b10 = default, a11 = default, b11 = default;
        if (from > 0)
        {
            (a00, b00, a01, b01) = (parked[0], parked[1], parked[2], parked[3]);
            (a10, b10, a11, b11) = (parked[4], parked[5], parked[6], parked[7]);
        }
        int i = from;
        for (; i < to; i += 16)
        {
            Vector256<float> u0 = Vector256.Load(w + i), v0 = Vector256.Load(w + i + 8);
            Vector256<float> u1 = Vector256.Load(w1 + i), v1 = Vector256.Load(w1 + i + 8);
            Vector256<float> p = Vector256.Load(x + i), q = Vector256.Load(x + i + 8);
            a00 = Fma.MultiplyAdd(u0, p, a00);
            b00 = Fma.MultiplyAdd(v0, q, b00);
            a10 = Fma.MultiplyAdd(u1, p, a10);
            b10 = Fma.MultiplyAdd(v1, q, b10);
            p = Vector256.Load(x1 + i);
            q = Vector256.Load(x1 + i + 8);
            a01 = Fma.MultiplyAdd(u0, p, a01);
            b01 = Fma.MultiplyAdd(v0, q, b01);
            a11 = Fma.MultiplyAdd(u1, p, a11);
            b11 = Fma.MultiplyAdd(v1, q, b11);
        }
        if (!finish)
        {
            (parked[0], parked[1], parked[2], parked[3]) = (a00, b00, a01, b01);
            (parked[4], parked[5], parked[6], parked[7]) = (a10, b10, a11, b11);
            return;
        }
        if (i + 8 <= k)
        {
            Vector256<float> u0 = Vector256.Load(w + i), u1 = Vector256.Load(w1 + i);
            Vector256<float> p0 = Vector256.Load(x + i), p1 = Vector256.Load(x1 + i);
            a00 = Fma.MultiplyAdd(u0, p0, a00);
            a01 = Fma.MultiplyAdd(u0, p1, a01);
            a10 = Fma.MultiplyAdd(u1, p0, a10);
            a11 = Fma.MultiplyAdd(u1, p1, a11);
            i += 8;
        }
        y[0] = Tail(Vector256.Sum(a00 + b00), w, x, i, k);
        y[1] = Tail(Vector256.Sum(a10 + b10), w1, x, i, k);
        y[n] = Tail(Vector256.Sum(a01 + b01), w, x1, i, k);
        y[n + 1] = Tail(Vector256.Sum(a11 + b11), w1, x1, i, k);
    }

    /// <summary>One output in the AVX2 row dot's order, over an already widened row.</summary>
    public static float Dot(float* w, float* x, int k)
    {
        Vector256<float> acc0 = Vector256<float>.Zero, acc1 = Vector256<float>.Zero;
        int i = 0;
        for (; i + 16 <= k; i += 16)
        {
            acc0 = Fma.MultiplyAdd(Vector256.Load(w + i), Vector256.Load(x + i), acc0);
            acc1 = Fma.MultiplyAdd(Vector256.Load(w + i + 8), Vector256.Load(x + i + 8), acc1);
        }
        if (i + 8 <= k)
        {
            acc0 = Fma.MultiplyAdd(Vector256.Load(w + i), Vector256.Load(x + i), acc0);
            i += 8;
        }
        return Tail(Vector256.Sum(acc0 + acc1), w, x, i, k);
    }

    /// <summary>
    /// <see cref="RowsDot"/> for a row-major half-width matrix on AVX2 over plain F32 activations: <see cref="FourRows"/>
    /// with the format's own widening (F16 decoding takes <see cref="F16Decode"/>'s pre-scaled activations instead).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows<TFloat>(byte* weights, nint rowStride, nint blockStride, byte* activations, int blocks, float* output)
        where TFloat : struct, IHalfWidthFloat =>
        FourRows<TFloat, FormatWidening<TFloat>>(weights, rowStride, (float*)activations, (float*)activations, blocks, output);

    /// <summary>
    /// Four rows in one pass sharing the activation loads (eight accumulators, the conversion's constants and the
    /// finiteness witness fit the sixteen registers), each bit for bit the AVX2 row dot of row r with
    /// <paramref name="exact"/>: the vector steps multiply <typeparamref name="TWiden"/>'s widened weights by
    /// <paramref name="x"/> (<paramref name="exact"/> itself, or it times 2^112 for weights widened without the
    /// multiply), the scalar tail uses <paramref name="exact"/>. An F16 infinity or NaN, which the fast widening does not
    /// convert, is caught in the same pass (no pre-pass over the rows, which read them once more before the arithmetic
    /// could start: 1.2× slower decoding on Zen 3), as is a sum that came out infinite or NaN (a scaled activation that
    /// overflowed); either sends the four rows through the row dot itself. Prefetches the next group where the decode
    /// kernels prefetch (<see cref="DecodePrefetch.Enabled"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void FourRows<TFloat, TWiden>(byte* weights, nint rowStride, float* x, float* exact, int count, float* output)
        where TFloat : struct, IHalfWidthFloat
        where TWiden : struct, IAvx2Widening
    {
        ushort* w0 = (ushort*)weights, w1 = (ushort*)(weights + rowStride);
        ushort* w2 = (ushort*)(weights + 2 * rowStride), w3 = (ushort*)(weights + 3 * rowStride);
        byte* next = DecodePrefetch.Enabled ? weights + 4 * rowStride : null;
        int i = 0;
        Vector256<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
        Vector256<ushort> worst = default;
        for (; i + 16 <= count; i += 16)
        {
            if (next != null)
            {
                // The next group's 8·count bytes over this pass's count/16 trips: two lines a trip.
                Sse.Prefetch0(next + 8 * (nint)i);
                Sse.Prefetch0(next + 8 * (nint)i + 64);
            }
            if (!TFloat.WidensEveryValue)
                worst = Vector256.Max(worst, Vector256.Max(Vector256.Max(Vector256.Load(w0 + i) << 1, Vector256.Load(w1 + i) << 1),
                    Vector256.Max(Vector256.Load(w2 + i) << 1, Vector256.Load(w3 + i) << 1)));
            Vector256<float> x0 = Vector256.Load(x + i), x1 = Vector256.Load(x + i + 8);
            a0 = Fma.MultiplyAdd(TWiden.Widen(Vector128.Load(w0 + i)), x0, a0);
            b0 = Fma.MultiplyAdd(TWiden.Widen(Vector128.Load(w0 + i + 8)), x1, b0);
            a1 = Fma.MultiplyAdd(TWiden.Widen(Vector128.Load(w1 + i)), x0, a1);
            b1 = Fma.MultiplyAdd(TWiden.Widen(Vector128.Load(w1 + i + 8)), x1, b1);
            a2 = Fma.MultiplyAdd(TWiden.Widen(Vector128.Load(w2 + i)), x0, a2);
            b2 = Fma.MultiplyAdd(TWiden.Widen(Vector128.Load(w2 + i + 8)), x1, b2);
            a3 = Fma.MultiplyAdd(TWiden.Widen(Vector128.Load(w3 + i)), x0, a3);
            b3 = Fma.MultiplyAdd(TWiden.Widen(Vector128.Load(w3 + i + 8)), x1, b3);
        }
        if (i + 8 <= count)
        {
            if (!TFloat.WidensEveryValue)
                worst = Vector256.Max(worst, Vector256.Max(Vector256.Max(Eight(w0 + i), Eight(w1 + i)), Vector256.Max(Eight(w2 + i), Eight(w3 + i))));
            Vector256<float> x0 = Vector256.Load(x + i);
            a0 = Fma.MultiplyAdd(TWiden.Widen(Vector128.Load(w0 + i)), x0, a0);
            a1 = Fma.MultiplyAdd(TWiden.Widen(Vector128.Load(w1 + i)), x0, a1);
            a2 = Fma.MultiplyAdd(TWiden.Widen(Vector128.Load(w2 + i)), x0, a2);
            a3 = Fma.MultiplyAdd(TWiden.Widen(Vector128.Load(w3 + i)), x0, a3);
            i += 8;
        }
        Vector128<float> sums = Vector128.Create(Vector256.Sum(a0 + b0), Vector256.Sum(a1 + b1), Vector256.Sum(a2 + b2), Vector256.Sum(a3 + b3));
        if ((!TFloat.WidensEveryValue && !Fp16Bits.AreFinite(worst)) || !Vector128.EqualsAll(Vector128.IsFinite(sums).AsUInt32(), Vector128<uint>.AllBitsSet))
        {
            // The exact lane-by-lane conversion over the exact activations, in the same order.
            output[0] = HalfWidthRow<TFloat>.Dot(w0, exact, count);
            output[1] = HalfWidthRow<TFloat>.Dot(w1, exact, count);
            output[2] = HalfWidthRow<TFloat>.Dot(w2, exact, count);
            output[3] = HalfWidthRow<TFloat>.Dot(w3, exact, count);
            return;
        }
        float s0 = sums.GetElement(0), s1 = sums.GetElement(1), s2 = sums.GetElement(2), s3 = sums.GetElement(3);
        for (; i < count; i++)
        {
            s0 += TFloat.ToSingle(w0[i]) * exact[i];
            s1 += TFloat.ToSingle(w1[i]) * exact[i];
            s2 += TFloat.ToSingle(w2[i]) * exact[i];
            s3 += TFloat.ToSingle(w3[i]) * exact[i];
        }
        output[0] = s0;
        output[1] = s1;
        output[2] = s2;
        output[3] = s3;
    }

    /// <summary>Eight halves shifted left by one in the low lanes of a 16-lane witness, zeros above.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ushort> Eight(ushort* w) => Vector128.Load(w).ToVector256() << 1;

    /// <summary>The row dot's scalar tail: float products added one by one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tail(float sum, float* w, float* x, int i, int k)
    {
        for (; i < k; i++)
        {
            sum += w[i] * x[i];
        }
        return sum;
    }
}

/// <summary>How <see cref="HalfWidthTileAvx2.FourRows"/> widens eight 16-bit weights for its FMAs.</summary>
internal interface IAvx2Widening
{
    static abstract Vector256<float> Widen(Vector128<ushort> bits);
}

/// <summary>The format's own exact widening (<see cref="IHalfWidthFloat.WidenFinite"/>).</summary>
internal readonly struct FormatWidening<TFloat> : IAvx2Widening
    where TFloat : struct, IHalfWidthFloat
{
    public static Vector256<float> Widen(Vector128<ushort> bits) => TFloat.WidenFinite(bits);
}
