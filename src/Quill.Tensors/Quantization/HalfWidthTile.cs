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
    /// <summary>Weight rows widened at a time at most; fewer when K is long, so the widened block stays within L2 (<see cref="BlockFloats"/>).</summary>
    public const int RowBlock = 64;

    /// <summary>Widened floats a row block holds at most (1 MiB): 64 rows up to K = 4096, 18 rows of K = 14336.</summary>
    public const int BlockFloats = 1 << 18;

    /// <summary>
    /// K floats a tile runs over in one pass. Over a longer K the four tokens' slices (16 KiB) stay in L1 while every row
    /// pair of the block passes over them, each pair's accumulators parked in <see cref="TileState"/> between passes;
    /// a tile over a whole long row streamed its 12 vectors a step from L2 (7B F16 prefill ran at about a third of the
    /// FMA peak, TinyLlama's K = 2048 at 85 %).
    /// </summary>
    public const int Segment = 1024;

    /// <summary>Fewer activation rows than this go through the row dot (nothing to amortise the widening over).</summary>
    public const int MinTokens = 4;

    [ThreadStatic]
    private static float* t_widened;

    [ThreadStatic]
    private static long t_widenedCapacity;

    /// <summary>Whether this machine runs the tile: in the Vector512 dot's order, or the AVX2 dot's (<see cref="HalfWidthTileAvx2"/>).</summary>
    public static bool IsSupported => SimdCapability.Best >= SimdWidth.Vector256;

    private static bool Wide => SimdCapability.Best == SimdWidth.Vector512;

    /// <summary>
    /// Rows [<paramref name="rowStart"/>, <paramref name="rowEnd"/>) of the weights (rows of <paramref name="rowBytes"/>,
    /// in groups of four laid out by <paramref name="rowStride"/> and <paramref name="chunkStride"/> as
    /// <see cref="HalfWidthRows{TFloat}.Run"/> takes them) against <paramref name="tokens"/> activation rows of
    /// <paramref name="k"/> floats; output rows are <paramref name="n"/> floats apart.
    /// </summary>
    public static void Multiply(byte* weights, nint rowStride, nint chunkStride, int rowBytes, int rowStart, int rowEnd, int k, float* x, int tokens,
        float* y, int n)
    {
        int rowBlock = Math.Clamp(BlockFloats / k / 2 * 2, 2, RowBlock);
        // The widened rows, then a parked state of 16 accumulators per row pair.
        long statesAt = ((long)rowBlock * k + 15) & ~15L; // 64-byte aligned
        float* widened = Scratch(statesAt + rowBlock / 2 * TileState.Floats);
        var states = (TileState*)(widened + statesAt);
        int whole = Wide ? k / 32 * 32 : k / 16 * 16; // the part the tile's two-chunk steps cover
        for (int block = rowStart; block < rowEnd; block += rowBlock)
        {
            int rows = Math.Min(rowBlock, rowEnd - block);
            for (int r = 0; r < rows; r++)
            {
                WidenRow(weights, rowStride, chunkStride, rowBytes, block + r, widened + (long)r * k, k);
            }

            int pairs = rows / 2;
            int t = 0;
            for (; t + 4 <= tokens; t += 4)
            {
                float* xt = x + (long)t * k, yt = y + (long)t * n + block;
                // Segments in order; every row pair over one segment before the next, the last one finishing the outputs.
                for (int from = 0; ; from += Segment)
                {
                    int to = Math.Min(whole, from + Segment);
                    bool last = to == whole;
                    for (int p = 0; p < pairs; p++)
                    {
                        if (Wide)
                        {
                            Tile(widened + (long)2 * p * k, k, xt, yt + 2 * p, n, states + p, from, to, last);
                        }
                        else
                        {
                            // Two 2×2 tiles in the AVX2 dot's order, each parking its eight accumulators in half of the pair's state.
                            var parked = (Vector256<float>*)(states + p);
                            HalfWidthTileAvx2.Tile(widened + (long)2 * p * k, k, xt, yt + 2 * p, n, parked, from, to, last);
                            HalfWidthTileAvx2.Tile(widened + (long)2 * p * k, k, xt + 2L * k, yt + 2L * n + 2 * p, n, parked + 8, from, to, last);
                        }
                    }

                    if (last) break;
                }

                for (int r = 2 * pairs; r < rows; r++)
                {
                    for (int j = 0; j < 4; j++)
                    {
                        yt[(long)j * n + r] = Dot(widened + (long)r * k, xt + (long)j * k, k);
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

    /// <summary>
    /// Row <paramref name="row"/> widened to <paramref name="k"/> floats: in one pass over a row-major row, or a chunk of
    /// 32 at a time, two 512-bit widenings each, from an interleaved group (rows of whole chunks, 512-bit machines only).
    /// </summary>
    private static void WidenRow(byte* weights, nint rowStride, nint chunkStride, int rowBytes, int row, float* to, int k)
    {
        byte* first = weights + (long)(row / 4) * 4 * rowBytes + row % 4 * rowStride;
        const int chunk = WeightMatrix.HalfWidthChunk;
        if (chunkStride == WeightMatrix.HalfWidthChunkBytes)
        {
            HalfWidthRow<TFloat>.Widen((ushort*)first, to, k);
            return;
        }
        for (int c = 0; c < k / chunk; c++)
        {
            ushort* from = (ushort*)(first + c * chunkStride);
            TFloat.Widen(Vector256.Load(from)).Store(to + c * chunk);
            TFloat.Widen(Vector256.Load(from + 16)).Store(to + c * chunk + 16);
        }
    }

    /// <summary>The 16 accumulators of a row pair's tile between two segments.</summary>
    private struct TileState
    {
        public const int Floats = 16 * 16;

        public Vector512<float> A00, B00, A01, B01, A02, B02, A03, B03, A10, B10, A11, B11, A12, B12, A13, B13;
    }

    /// <summary>One output in the row dot's order, over an already widened row.</summary>
    public static float Dot(float* w, float* x, int k)
    {
        if (!Wide) return HalfWidthTileAvx2.Dot(w, x, k);
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

    /// <summary>
    /// Rows w0 = w, w1 = w + k against tokens x + j·k (j &lt; 4) over K floats [from, to) (whole 32-float steps), starting
    /// from zero or from the accumulators parked in <paramref name="state"/>; then either parks them again or, when
    /// <paramref name="finish"/>, adds the last 16-float chunk and the scalar tail and writes y[j·n + r].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(float* w, int k, float* x, float* y, int n, TileState* state, int from, int to, bool finish)
    {
        float* w1 = w + k, x1 = x + k, x2 = x + 2 * k, x3 = x + 3 * k;
        Vector512<float> a00 = default, b00 = default, a01 = default, b01 = default, a02 = default, b02 = default, a03 = default, b03 = default;
        Vector512<float> a10 = default, b10 = default, a11 = default, b11 = default, a12 = default, b12 = default, a13 = default, b13 = default;
        if (from > 0)
        {
            (a00, b00, a01, b01, a02, b02, a03, b03) = (state->A00, state->B00, state->A01, state->B01, state->A02, state->B02, state->A03, state->B03);
            (a10, b10, a11, b11, a12, b12, a13, b13) = (state->A10, state->B10, state->A11, state->B11, state->A12, state->B12, state->A13, state->B13);
        }

        int i = from;
        for (; i < to; i += 32)
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

        if (!finish)
        {
            (state->A00, state->B00, state->A01, state->B01, state->A02, state->B02, state->A03, state->B03) = (a00, b00, a01, b01, a02, b02, a03, b03);
            (state->A10, state->B10, state->A11, state->B11, state->A12, state->B12, state->A13, state->B13) = (a10, b10, a11, b11, a12, b12, a13, b13);
            return;
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
