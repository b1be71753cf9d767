// F16 and BF16 weights against many F32 activation rows at once (prefill): rows widened to F32 once per block, then 2×4 register tiles.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Quill.Tensors.Simd;

namespace Quill.Tensors.Quantization;

/// <summary>
/// y[t, r] = Σ_k w[r, k] · x[t, k] for a block of weight rows and every activation row, on the 512-bit path.
/// A row-at-a-time dot converts each 16-bit weight in software once per token; here a block of rows is widened to F32
/// once (exactly: every F16 and BF16 value is a float) and reused by every token, and each 2-row × 4-token tile keeps
/// its 16 accumulators in registers while weights and activations stream from cache.
/// Every output is summed in exactly the order of <see cref="HalfWidthRow{TFloat}"/>'s Vector512 dot (two accumulators
/// over alternate 16-lane chunks, one more chunk into the first, <see cref="Vector512.Sum{T}(Vector512{T})"/>, then a
/// scalar tail), so a row's result is bit for bit the same in a batch of any size as alone (batch invariance).
/// </summary>
internal static unsafe class HalfWidthTile<TFloat>
    where TFloat : struct, IHalfWidthFloat
{
    /// <summary>Weight rows widened at a time: 64 rows of K ≤ 8192 floats stay within a core's L2.</summary>
    public const int RowBlock = 64;

    /// <summary>Fewer activation rows than this go through the row dot (nothing to amortise the widening over).</summary>
    public const int MinTokens = 4;

    [ThreadStatic]
    private static float* t_widened;

    [ThreadStatic]
    private static long t_widenedCapacity;

    /// <summary>Whether this machine runs the tile (its order is the Vector512 dot's).</summary>
    public static bool IsSupported => SimdCapability.Best == SimdWidth.Vector512;

    /// <summary>
    /// Rows [<paramref name="rowStart"/>, <paramref name="rowEnd"/>) of the row-major weights (<paramref name="rowBytes"/>
    /// apart) against <paramref name="tokens"/> activation rows of <paramref name="k"/> floats; output rows are
    /// <paramref name="n"/> floats apart.
    /// </summary>
    public static void Multiply(byte* weights, int rowBytes, int rowStart, int rowEnd, int k, float* x, int tokens, float* y, int n)
    {
        float* widened = Scratch((long)RowBlock * k);
        for (int block = rowStart; block < rowEnd; block += RowBlock)
        {
            int rows = Math.Min(RowBlock, rowEnd - block);
            for (int r = 0; r < rows; r++)
            {
                HalfWidthRow<TFloat>.Widen((ushort*)(weights + (long)(block + r) * rowBytes), widened + (long)r * k, k);
            }

            int t = 0;
            for (; t + 4 <= tokens; t += 4)
            {
                int r = 0;
                for (; r + 2 <= rows; r += 2)
                {
                    Tile(widened + (long)r * k, k, x + (long)t * k, y + (long)t * n + block + r, n);
                }

                for (; r < rows; r++)
                {
                    for (int j = 0; j < 4; j++)
                    {
                        y[(long)(t + j) * n + block + r] = Dot(widened + (long)r * k, x + (long)(t + j) * k, k);
                    }
                }
            }

            for (; t < tokens; t++)
            {
                for (int r = 0; r < rows; r++)
                {
                    y[(long)t * n + block + r] = Dot(widened + (long)r * k, x + (long)t * k, k);
                }
            }
        }
    }

    /// <summary>One output in the row dot's order, over an already widened row.</summary>
    public static float Dot(float* w, float* x, int k)
    {
        Vector512<float> acc0 = Vector512<float>.Zero, acc1 = Vector512<float>.Zero;
        int i = 0;
        for (; i + 32 <= k; i += 32)
        {
            acc0 = Avx512F.FusedMultiplyAdd(Vector512.Load(w + i), Vector512.Load(x + i), acc0);
            acc1 = Avx512F.FusedMultiplyAdd(Vector512.Load(w + i + 16), Vector512.Load(x + i + 16), acc1);
        }

        if (i + 16 <= k)
        {
            acc0 = Avx512F.FusedMultiplyAdd(Vector512.Load(w + i), Vector512.Load(x + i), acc0);
            i += 16;
        }

        return Tail(Vector512.Sum(acc0 + acc1), w, x, i, k);
    }

    /// <summary>Rows w0 = w, w1 = w + k against tokens x + j·k (j &lt; 4) into y[j·n + r].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(float* w, int k, float* x, float* y, int n)
    {
        float* w1 = w + k, x1 = x + k, x2 = x + 2 * k, x3 = x + 3 * k;
        Vector512<float> a00 = default, b00 = default, a01 = default, b01 = default, a02 = default, b02 = default, a03 = default, b03 = default;
        Vector512<float> a10 = default, b10 = default, a11 = default, b11 = default, a12 = default, b12 = default, a13 = default, b13 = default;
        int i = 0;
        for (; i + 32 <= k; i += 32)
        {
            Vector512<float> u0 = Vector512.Load(w + i), v0 = Vector512.Load(w + i + 16);
            Vector512<float> u1 = Vector512.Load(w1 + i), v1 = Vector512.Load(w1 + i + 16);
            Vector512<float> p = Vector512.Load(x + i), q = Vector512.Load(x + i + 16);
            a00 = Avx512F.FusedMultiplyAdd(u0, p, a00);
            b00 = Avx512F.FusedMultiplyAdd(v0, q, b00);
            a10 = Avx512F.FusedMultiplyAdd(u1, p, a10);
            b10 = Avx512F.FusedMultiplyAdd(v1, q, b10);
            p = Vector512.Load(x1 + i);
            q = Vector512.Load(x1 + i + 16);
            a01 = Avx512F.FusedMultiplyAdd(u0, p, a01);
            b01 = Avx512F.FusedMultiplyAdd(v0, q, b01);
            a11 = Avx512F.FusedMultiplyAdd(u1, p, a11);
            b11 = Avx512F.FusedMultiplyAdd(v1, q, b11);
            p = Vector512.Load(x2 + i);
            q = Vector512.Load(x2 + i + 16);
            a02 = Avx512F.FusedMultiplyAdd(u0, p, a02);
            b02 = Avx512F.FusedMultiplyAdd(v0, q, b02);
            a12 = Avx512F.FusedMultiplyAdd(u1, p, a12);
            b12 = Avx512F.FusedMultiplyAdd(v1, q, b12);
            p = Vector512.Load(x3 + i);
            q = Vector512.Load(x3 + i + 16);
            a03 = Avx512F.FusedMultiplyAdd(u0, p, a03);
            b03 = Avx512F.FusedMultiplyAdd(v0, q, b03);
            a13 = Avx512F.FusedMultiplyAdd(u1, p, a13);
            b13 = Avx512F.FusedMultiplyAdd(v1, q, b13);
        }

        if (i + 16 <= k)
        {
            Vector512<float> u0 = Vector512.Load(w + i), u1 = Vector512.Load(w1 + i);
            Vector512<float> p0 = Vector512.Load(x + i), p1 = Vector512.Load(x1 + i), p2 = Vector512.Load(x2 + i), p3 = Vector512.Load(x3 + i);
            a00 = Avx512F.FusedMultiplyAdd(u0, p0, a00);
            a01 = Avx512F.FusedMultiplyAdd(u0, p1, a01);
            a02 = Avx512F.FusedMultiplyAdd(u0, p2, a02);
            a03 = Avx512F.FusedMultiplyAdd(u0, p3, a03);
            a10 = Avx512F.FusedMultiplyAdd(u1, p0, a10);
            a11 = Avx512F.FusedMultiplyAdd(u1, p1, a11);
            a12 = Avx512F.FusedMultiplyAdd(u1, p2, a12);
            a13 = Avx512F.FusedMultiplyAdd(u1, p3, a13);
            i += 16;
        }

        y[0] = Tail(Vector512.Sum(a00 + b00), w, x, i, k);
        y[1] = Tail(Vector512.Sum(a10 + b10), w1, x, i, k);
        y[n] = Tail(Vector512.Sum(a01 + b01), w, x1, i, k);
        y[n + 1] = Tail(Vector512.Sum(a11 + b11), w1, x1, i, k);
        y[2 * n] = Tail(Vector512.Sum(a02 + b02), w, x2, i, k);
        y[2 * n + 1] = Tail(Vector512.Sum(a12 + b12), w1, x2, i, k);
        y[3 * n] = Tail(Vector512.Sum(a03 + b03), w, x3, i, k);
        y[3 * n + 1] = Tail(Vector512.Sum(a13 + b13), w1, x3, i, k);
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

    private static float* Scratch(long floats)
    {
        if (t_widenedCapacity < floats)
        {
            if (t_widened != null)
            {
                NativeMemory.AlignedFree(t_widened);
            }

            t_widened = (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
            t_widenedCapacity = floats;
        }

        return t_widened;
    }
}
