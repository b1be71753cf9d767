// Bidirectional multi-head attention over packed sequences of different lengths (no padding rows); forward only.
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Quill.Tensors.Threading;

namespace Quill.Tensors.Kernels;

/// <summary>
/// For each sequence s (tokens [start_s, start_s + len_s) of the packed rows) and head h:
/// out[i, h] = Σ_j softmax_j(q[i, h] · k[j, h] / √D) v[j, h] over the sequence's own tokens only: padding never exists,
/// so the attention mask is the sequence boundary. The (sequence, head) pairs are claimed one by one by the pool's threads. One instance
/// per encoder state; not thread-safe.
/// </summary>
public sealed unsafe class BidirectionalAttention : IRangeJob
{
    private readonly ComputePool _pool;
    private readonly int _heads, _headSize, _channels;
    private float* _q, _k, _v, _out;
    private long _inputStride, _headStride;
    private int _items, _next, _maxLength;
    private int[] _starts = [], _lengths = [];

    public BidirectionalAttention(ComputePool pool, int heads, int headSize)
    {
        _pool = pool;
        _heads = heads;
        _headSize = headSize;
        _channels = heads * headSize;
    }

    /// <summary>q, k, v, out: (T, H·D) packed rows; sequence s covers rows [starts[s], starts[s] + lengths[s]).</summary>
    public void Forward(float* q, float* k, float* v, float* output, int[] starts, int[] lengths, int sequences) =>
        Forward(q, k, v, _channels, output, starts, lengths, sequences);

    /// <summary>
    /// As above with q, k, v rows <paramref name="inputStride"/> floats apart, e.g. views into one (T, 3·H·D) projection
    /// at offsets 0, H·D and 2·H·D; out stays (T, H·D).
    /// </summary>
    public void Forward(float* q, float* k, float* v, int inputStride, float* output, int[] starts, int[] lengths, int sequences) =>
        Forward(q, k, v, inputStride, _headSize, output, starts, lengths, sequences);

    /// <summary>
    /// The general layout: head h of q, k, v starts <paramref name="headStride"/> floats after head h − 1 and its rows are
    /// <paramref name="rowStride"/> apart. Head-major blocks (H, T, D) — rowStride D, headStride T·D — make each
    /// (sequence, head) one contiguous run, which is what <see cref="PackedMatMul"/> writes with a block width of D.
    /// </summary>
    public void Forward(float* q, float* k, float* v, long rowStride, long headStride, float* output, int[] starts, int[] lengths, int sequences)
    {
        _q = q; _k = k; _v = v; _out = output; _inputStride = rowStride; _headStride = headStride;
        _starts = starts; _lengths = lengths;
        _maxLength = 0;
        for (int s = 0; s < sequences; s++) _maxLength = Math.Max(_maxLength, lengths[s]);
        _items = sequences * _heads;
        _next = 0;
        // Threads claim (sequence, head) items one at a time from a shared counter: sequences differ in length, and a
        // thread the OS preempts leaves its remaining items to the others.
        _pool.Run(this, Math.Min(_pool.ThreadCount, _items));
    }

    /// <summary>Scalar meaning for one sequence of L rows and one head, softmax summed in double.</summary>
    public static void Reference(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> output,
        int length, int channels, int headOffset, int headSize)
    {
        double scale = 1 / Math.Sqrt(headSize);
        var p = new double[length];
        for (int i = 0; i < length; i++)
        {
            double max = double.NegativeInfinity;
            for (int j = 0; j < length; j++)
            {
                double s = 0;
                for (int d = 0; d < headSize; d++) s += (double)q[i * channels + headOffset + d] * k[j * channels + headOffset + d];
                p[j] = s * scale;
                max = Math.Max(max, p[j]);
            }
            double sum = 0;
            for (int j = 0; j < length; j++) sum += p[j] = Math.Exp(p[j] - max);
            for (int d = 0; d < headSize; d++)
            {
                double o = 0;
                for (int j = 0; j < length; j++) o += p[j] / sum * v[j * channels + headOffset + d];
                output[i * channels + headOffset + d] = (float)o;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void IRangeJob.Execute(int begin, int end)
    {
        int maxLength = _maxLength;
        int d = _headSize, c = _channels;
        long stride = _inputStride;
        int paddedLength = RoundUp(maxLength), paddedHead = RoundUp(d);
        float[] queriesT = ArrayPool<float>.Shared.Rent(d * paddedLength);           // (D, Lp): a head's queries transposed
        float[] keysT = ArrayPool<float>.Shared.Rent(d * paddedLength);              // (D, Lp): its keys transposed
        float[] values = ArrayPool<float>.Shared.Rent(maxLength * paddedHead);       // (L, Dp): its values, rows padded
        float[] scores = ArrayPool<float>.Shared.Rent(paddedLength * paddedLength);  // (Lp keys, Lp queries): Sᵀ, then Pᵀ
        float[] inverses = ArrayPool<float>.Shared.Rent(paddedLength);               // (Lp): 1 / Σ_j e^(s − max) per query
        float scale = 1f / MathF.Sqrt(d);
        try
        {
            fixed (float* qt = queriesT, kt = keysT, vh = values, pt = scores, inverse = inverses)
            {
                for (int item = Interlocked.Increment(ref _next) - 1; item < _items; item = Interlocked.Increment(ref _next) - 1)
                {
                    int s = item / _heads, h = item % _heads;
                    int length = _lengths[s];
                    long input = _starts[s] * stride + h * _headStride, output = (long)_starts[s] * c + (long)h * d;
                    if (!Vector256.IsHardwareAccelerated)
                    {
                        ScalarHead(_q + input, _k + input, _v + input, stride, _out + output, c, length, d, scale, pt);
                        continue;
                    }
                    int lp = RoundUp(length), dp = RoundUp(d);
                    Gather(_q + input, _k + input, _v + input, length, stride, d, lp, dp, qt, kt, vh);
                    for (int j = 0; j < lp; j += Lanes)
                        for (int i = 0; i < lp; i += Lanes) ScoreTile(kt + j, qt + i, lp, d, pt + (long)j * lp + i);
                    for (int i = 0; i < lp; i += Lanes) SoftmaxColumns(pt + i, lp, length, scale, inverse + i);
                    for (int i = 0; i < lp; i += Lanes)
                        for (int e = 0; e < dp; e += Lanes)
                            OutputTile(pt + i, lp, length, vh + e, dp, inverse + i, _out + output + (long)i * c + e, c, Math.Min(Lanes, length - i),
                                Math.Min(Lanes, d - e));
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(queriesT);
            ArrayPool<float>.Shared.Return(keysT);
            ArrayPool<float>.Shared.Return(values);
            ArrayPool<float>.Shared.Return(scores);
            ArrayPool<float>.Shared.Return(inverses);
        }
    }

    private const int Lanes = 8;

    private static int RoundUp(int n) => (n + Lanes - 1) / Lanes * Lanes;

    /// <summary>queriesT, keysT (D, Lp) = the head's queries and keys transposed, values (L, Dp) its values; zero-padded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Gather(float* q, float* k, float* v, int length, long stride, int d, int lp, int dp, float* queriesT, float* keysT, float* values)
    {
        for (int j = 0; j < length; j++)
        {
            float* qj = q + (long)j * stride, kj = k + (long)j * stride;
            for (int e = 0; e < d; e++)
            {
                queriesT[(long)e * lp + j] = qj[e];
                keysT[(long)e * lp + j] = kj[e];
            }
            float* row = values + (long)j * dp;
            new ReadOnlySpan<float>(v + (long)j * stride, d).CopyTo(new Span<float>(row, d));
            for (int e = d; e < dp; e++) row[e] = 0;
        }
        for (int e = 0; e < d; e++)
            for (int j = length; j < lp; j++) queriesT[(long)e * lp + j] = keysT[(long)e * lp + j] = 0;
    }

    /// <summary>
    /// Sᵀ[j + r, i..i+8) = k[j + r] · q[i..i+8) for 8 keys: each key's element is broadcast from one keysT row, the 8
    /// queries' elements are one vector of queriesT, so the tile reads two rows per step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScoreTile(float* keysT, float* queriesT, int lp, int d, float* scoresT)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (int e = 0; e < d; e++)
        {
            var qv = Vector256.Load(queriesT + (long)e * lp);
            float* kr = keysT + (long)e * lp;
            a0 = Vector256.FusedMultiplyAdd(Vector256.Create(kr[0]), qv, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Create(kr[1]), qv, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.Create(kr[2]), qv, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.Create(kr[3]), qv, a3);
            a4 = Vector256.FusedMultiplyAdd(Vector256.Create(kr[4]), qv, a4);
            a5 = Vector256.FusedMultiplyAdd(Vector256.Create(kr[5]), qv, a5);
            a6 = Vector256.FusedMultiplyAdd(Vector256.Create(kr[6]), qv, a6);
            a7 = Vector256.FusedMultiplyAdd(Vector256.Create(kr[7]), qv, a7);
        }
        a0.Store(scoresT); a1.Store(scoresT + lp); a2.Store(scoresT + 2 * lp); a3.Store(scoresT + 3 * lp);
        a4.Store(scoresT + 4 * lp); a5.Store(scoresT + 5 * lp); a6.Store(scoresT + 6 * lp); a7.Store(scoresT + 7 * lp);
    }

    /// <summary>
    /// For 8 queries at once (one column block of Sᵀ): Pᵀ[j] = e^((Sᵀ[j] − max_j)·scale) over the L real keys, and
    /// inverse = 1 / Σ_j Pᵀ[j]; all lane-wise, so no horizontal reductions.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SoftmaxColumns(float* scoresT, int lp, int length, float scale, float* inverse)
    {
        var max = Vector256.Load(scoresT);
        for (int j = 1; j < length; j++) max = Vector256.Max(max, Vector256.Load(scoresT + (long)j * lp));
        var sum = Vector256<float>.Zero;
        var vscale = Vector256.Create(scale);
        for (int j = 0; j < length; j++)
        {
            float* at = scoresT + (long)j * lp;
            var p = PolynomialExp.Exp((Vector256.Load(at) - max) * vscale);
            p.Store(at);
            sum += p;
        }
        (Vector256<float>.One / sum).Store(inverse);
    }

    /// <summary>
    /// out[i + r, e..e+8) = inverse[r] · Σ_j Pᵀ[j, i + r] · values[j, e..e+8) for the block's 8 queries (the first
    /// <paramref name="rows"/> real) and <paramref name="width"/> real lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputTile(float* probabilitiesT, int lp, int length, float* values, int dp, float* inverse, float* output, int stride, int rows,
        int width)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (int j = 0; j < length; j++)
        {
            var vv = Vector256.Load(values + (long)j * dp);
            float* pr = probabilitiesT + (long)j * lp;
            a0 = Vector256.FusedMultiplyAdd(Vector256.Create(pr[0]), vv, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Create(pr[1]), vv, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.Create(pr[2]), vv, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.Create(pr[3]), vv, a3);
            a4 = Vector256.FusedMultiplyAdd(Vector256.Create(pr[4]), vv, a4);
            a5 = Vector256.FusedMultiplyAdd(Vector256.Create(pr[5]), vv, a5);
            a6 = Vector256.FusedMultiplyAdd(Vector256.Create(pr[6]), vv, a6);
            a7 = Vector256.FusedMultiplyAdd(Vector256.Create(pr[7]), vv, a7);
        }
        if (rows == Lanes && width == Lanes)
        {
            (a0 * inverse[0]).Store(output); (a1 * inverse[1]).Store(output + stride);
            (a2 * inverse[2]).Store(output + 2 * stride); (a3 * inverse[3]).Store(output + 3 * stride);
            (a4 * inverse[4]).Store(output + 4 * stride); (a5 * inverse[5]).Store(output + 5 * stride);
            (a6 * inverse[6]).Store(output + 6 * stride); (a7 * inverse[7]).Store(output + 7 * stride);
            return;
        }
        StorePartial(a0 * inverse[0], output, width);
        if (rows > 1) StorePartial(a1 * inverse[1], output + stride, width);
        if (rows > 2) StorePartial(a2 * inverse[2], output + 2 * stride, width);
        if (rows > 3) StorePartial(a3 * inverse[3], output + 3 * stride, width);
        if (rows > 4) StorePartial(a4 * inverse[4], output + 4 * stride, width);
        if (rows > 5) StorePartial(a5 * inverse[5], output + 5 * stride, width);
        if (rows > 6) StorePartial(a6 * inverse[6], output + 6 * stride, width);
        if (rows > 7) StorePartial(a7 * inverse[7], output + 7 * stride, width);
    }

    private static void StorePartial(Vector256<float> a, float* destination, int width)
    {
        if (width == Lanes) a.Store(destination);
        else for (int e = 0; e < width; e++) destination[e] = a.GetElement(e);
    }

    /// <summary>The same steps in plain float for machines without 256-bit vectors; scores (L, L) scratch.</summary>
    private static void ScalarHead(float* q, float* k, float* v, long stride, float* output, int outputStride, int length, int d, float scale, float* scores)
    {
        for (int i = 0; i < length; i++)
        {
            float* row = scores + (long)i * length;
            float max = float.NegativeInfinity;
            for (int j = 0; j < length; j++)
            {
                float sum = 0;
                for (int e = 0; e < d; e++) sum = MathF.FusedMultiplyAdd(q[(long)i * stride + e], k[(long)j * stride + e], sum);
                row[j] = sum;
                max = MathF.Max(max, sum);
            }
            float total = 0;
            for (int j = 0; j < length; j++) total += row[j] = PolynomialExp.Scalar((row[j] - max) * scale);
            for (int e = 0; e < d; e++)
            {
                float o = 0;
                for (int j = 0; j < length; j++) o = MathF.FusedMultiplyAdd(row[j], v[(long)j * stride + e], o);
                output[(long)i * outputStride + e] = o / total;
            }
        }
    }
}
