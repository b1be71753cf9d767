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
    /// <see cref="RowsDot"/> for a row-major half-width matrix on AVX2: rows 0|1, then 2|3, each pair in one pass that
    /// widens its weights once and shares the activation loads (eight accumulators and the conversion's constants fit
    /// the sixteen registers; four rows at once would not). The first pass prefetches the next group of four rows where
    /// the decode kernels prefetch (<see cref="DecodePrefetch.Enabled"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Rows<TFloat>(byte* weights, nint rowStride, nint blockStride, byte* activations, int blocks, float* output)
        where TFloat : struct, IHalfWidthFloat
    {
        float* x = (float*)activations;
        RowPair<TFloat>((ushort*)weights, (ushort*)(weights + rowStride), x, blocks, DecodePrefetch.Enabled ? weights + 4 * rowStride : null, output);
        RowPair<TFloat>((ushort*)(weights + 2 * rowStride), (ushort*)(weights + 3 * rowStride), x, blocks, null, output + 2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowPair<TFloat>(ushort* w0, ushort* w1, float* x, int count, byte* next, float* output)
        where TFloat : struct, IHalfWidthFloat
    {
        // A pair holding an F16 infinity or NaN goes through the row dot itself (the exact lane-by-lane conversion).
        if (!TFloat.AreFinite(w0, count) || !TFloat.AreFinite(w1, count))
        {
            output[0] = HalfWidthRow<TFloat>.Dot(w0, x, count);
            output[1] = HalfWidthRow<TFloat>.Dot(w1, x, count);
            return;
        }
        Vector256<float> a0 = default, b0 = default, a1 = default, b1 = default;
        int i = 0;
        for (; i + 16 <= count; i += 16)
        {
            if (next != null)
            {
                // The next group's 8·count bytes over this pass's count/16 trips: two lines a trip.
                Sse.Prefetch0(next + 8 * (nint)i);
                Sse.Prefetch0(next + 8 * (nint)i + 64);
            }
            Vector256<float> x0 = Vector256.Load(x + i), x1 = Vector256.Load(x + i + 8);
            a0 = Fma.MultiplyAdd(TFloat.WidenFinite(Vector128.Load(w0 + i)), x0, a0);
            b0 = Fma.MultiplyAdd(TFloat.WidenFinite(Vector128.Load(w0 + i + 8)), x1, b0);
            a1 = Fma.MultiplyAdd(TFloat.WidenFinite(Vector128.Load(w1 + i)), x0, a1);
            b1 = Fma.MultiplyAdd(TFloat.WidenFinite(Vector128.Load(w1 + i + 8)), x1, b1);
        }
        if (i + 8 <= count)
        {
            Vector256<float> x0 = Vector256.Load(x + i);
            a0 = Fma.MultiplyAdd(TFloat.WidenFinite(Vector128.Load(w0 + i)), x0, a0);
            a1 = Fma.MultiplyAdd(TFloat.WidenFinite(Vector128.Load(w1 + i)), x0, a1);
            i += 8;
        }
        float s0 = Vector256.Sum(a0 + b0), s1 = Vector256.Sum(a1 + b1);
        for (; i < count; i++)
        {
            s0 += TFloat.ToSingle(w0[i]) * x[i];
            s1 += TFloat.ToSingle(w1[i]) * x[i];
        }
        output[0] = s0;
        output[1] = s1;
    }

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
