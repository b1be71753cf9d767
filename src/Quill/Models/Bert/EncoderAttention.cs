// Bidirectional multi-head attention over packed sequences of different lengths (no padding rows); forward only.
using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Quill.Tensors.Threading;

namespace Quill.Models.Bert;

/// <summary>
/// For each sequence s (tokens [start_s, start_s + len_s) of the packed rows) and head h:
/// out[i, h] = Σ_j softmax_j(q[i, h] · k[j, h] / √D) v[j, h] over the sequence's own tokens only: padding never exists,
/// so the attention mask is the sequence boundary. The (sequence, head) pairs are split across the pool. One instance
/// per encoder state; not thread-safe.
/// </summary>
public sealed unsafe class EncoderAttention : IRangeJob
{
    private readonly ComputePool _pool;
    private readonly int _heads, _headSize, _channels;
    private float* _q, _k, _v, _out;
    private int _inputStride;
    private int[] _starts = [], _lengths = [];

    public EncoderAttention(ComputePool pool, int heads, int headSize)
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
    public void Forward(float* q, float* k, float* v, int inputStride, float* output, int[] starts, int[] lengths, int sequences)
    {
        _q = q; _k = k; _v = v; _out = output; _inputStride = inputStride;
        _starts = starts; _lengths = lengths;
        _pool.Run(this, sequences * _heads);
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
        int maxLength = 0;
        for (int item = begin; item < end; item++) maxLength = Math.Max(maxLength, _lengths[item / _heads]);
        int d = _headSize, c = _channels, stride = _inputStride;
        int paddedLength = RoundUp(maxLength), paddedHead = RoundUp(d);
        float[] keysT = ArrayPool<float>.Shared.Rent(d * paddedLength);             // (D, Lp): a head's keys transposed
        float[] values = ArrayPool<float>.Shared.Rent(maxLength * paddedHead);      // (L, Dp): a head's values, rows padded
        float[] probabilities = ArrayPool<float>.Shared.Rent(maxLength * paddedLength); // (L, Lp): scores, then e^(s − max)
        float[] sums = ArrayPool<float>.Shared.Rent(maxLength);
        float scale = 1f / MathF.Sqrt(d);
        try
        {
            fixed (float* kt = keysT, vh = values, p = probabilities, rowSums = sums)
            {
                for (int item = begin; item < end; item++)
                {
                    int s = item / _heads, h = item % _heads;
                    int length = _lengths[s];
                    long input = (long)_starts[s] * stride + (long)h * d, output = (long)_starts[s] * c + (long)h * d;
                    if (!Vector256.IsHardwareAccelerated)
                    {
                        ScalarHead(_q + input, _k + input, _v + input, stride, _out + output, c, length, d, scale, p);
                        continue;
                    }
                    int lp = RoundUp(length), dp = RoundUp(d);
                    Gather(_k + input, _v + input, length, stride, d, lp, dp, kt, vh);
                    for (int i = 0; i < length; i += Rows)
                        for (int j = 0; j < lp; j += Lanes) ScoreTile(_q + input, stride, i, length, kt + j, lp, d, p + j);
                    for (int i = 0; i < length; i++) rowSums[i] = ExpRow(p + (long)i * lp, length, scale);
                    for (int i = 0; i < length; i += Rows)
                        for (int e = 0; e < dp; e += Lanes) OutputTile(p, lp, i, length, vh + e, dp, rowSums, _out + output, c, e, d);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(keysT);
            ArrayPool<float>.Shared.Return(values);
            ArrayPool<float>.Shared.Return(probabilities);
            ArrayPool<float>.Shared.Return(sums);
        }
    }

    private const int Rows = 8, Lanes = 8;

    private static int RoundUp(int n) => (n + Lanes - 1) / Lanes * Lanes;

    /// <summary>keysT (D, Lp) = the head's keys transposed, values (L, Dp) = its values, both zero-padded.</summary>
    private static void Gather(float* k, float* v, int length, int stride, int d, int lp, int dp, float* keysT, float* values)
    {
        for (int e = 0; e < d; e++)
        {
            float* row = keysT + (long)e * lp;
            for (int j = 0; j < length; j++) row[j] = k[(long)j * stride + e];
            for (int j = length; j < lp; j++) row[j] = 0;
        }
        for (int j = 0; j < length; j++)
        {
            float* row = values + (long)j * dp;
            new ReadOnlySpan<float>(v + (long)j * stride, d).CopyTo(new Span<float>(row, d));
            for (int e = d; e < dp; e++) row[e] = 0;
        }
    }

    /// <summary>
    /// scores[i + r, 0..8) = q[i + r] · keysT[:, 0..8) for 8 rows (rows past the sequence repeat its last row, so the
    /// tile stays full and those writes land on a row with the same values).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScoreTile(float* q, int stride, int i, int length, float* keysT, int lp, int d, float* scores)
    {
        int last = length - 1;
        float* q0 = q + (long)Math.Min(i, last) * stride, q1 = q + (long)Math.Min(i + 1, last) * stride;
        float* q2 = q + (long)Math.Min(i + 2, last) * stride, q3 = q + (long)Math.Min(i + 3, last) * stride;
        float* q4 = q + (long)Math.Min(i + 4, last) * stride, q5 = q + (long)Math.Min(i + 5, last) * stride;
        float* q6 = q + (long)Math.Min(i + 6, last) * stride, q7 = q + (long)Math.Min(i + 7, last) * stride;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (int e = 0; e < d; e++)
        {
            var kv = Vector256.Load(keysT + (long)e * lp);
            a0 = Vector256.FusedMultiplyAdd(Vector256.Create(q0[e]), kv, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Create(q1[e]), kv, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.Create(q2[e]), kv, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.Create(q3[e]), kv, a3);
            a4 = Vector256.FusedMultiplyAdd(Vector256.Create(q4[e]), kv, a4);
            a5 = Vector256.FusedMultiplyAdd(Vector256.Create(q5[e]), kv, a5);
            a6 = Vector256.FusedMultiplyAdd(Vector256.Create(q6[e]), kv, a6);
            a7 = Vector256.FusedMultiplyAdd(Vector256.Create(q7[e]), kv, a7);
        }
        a0.Store(scores + (long)Math.Min(i, last) * lp); a1.Store(scores + (long)Math.Min(i + 1, last) * lp);
        a2.Store(scores + (long)Math.Min(i + 2, last) * lp); a3.Store(scores + (long)Math.Min(i + 3, last) * lp);
        a4.Store(scores + (long)Math.Min(i + 4, last) * lp); a5.Store(scores + (long)Math.Min(i + 5, last) * lp);
        a6.Store(scores + (long)Math.Min(i + 6, last) * lp); a7.Store(scores + (long)Math.Min(i + 7, last) * lp);
    }

    /// <summary>row[j] = e^((row[j] − max)·scale) over the sequence's L entries; returns their sum.</summary>
    private static float ExpRow(float* row, int length, float scale)
    {
        var span = new Span<float>(row, length);
        float max = TensorPrimitives.Max(span);
        int j = 0;
        var sum = Vector256<float>.Zero;
        var vmax = Vector256.Create(max);
        var vscale = Vector256.Create(scale);
        for (; j + Lanes <= length; j += Lanes)
        {
            var x = EncoderExp.Exp((Vector256.Load(row + j) - vmax) * vscale);
            x.Store(row + j);
            sum += x;
        }
        float total = Vector256.Sum(sum);
        for (; j < length; j++) total += row[j] = EncoderExp.Scalar((row[j] - max) * scale);
        return total;
    }

    /// <summary>out[i + r, e..e+8) = Σ_j p[i + r, j] · values[j, e..e+8) / sums[i + r] for 8 rows (clamped as in <see cref="ScoreTile"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputTile(float* p, int lp, int i, int length, float* values, int dp, float* sums, float* output, int stride, int e, int d)
    {
        int last = length - 1;
        int r0 = Math.Min(i, last), r1 = Math.Min(i + 1, last), r2 = Math.Min(i + 2, last), r3 = Math.Min(i + 3, last);
        int r4 = Math.Min(i + 4, last), r5 = Math.Min(i + 5, last), r6 = Math.Min(i + 6, last), r7 = Math.Min(i + 7, last);
        float* p0 = p + (long)r0 * lp, p1 = p + (long)r1 * lp, p2 = p + (long)r2 * lp, p3 = p + (long)r3 * lp;
        float* p4 = p + (long)r4 * lp, p5 = p + (long)r5 * lp, p6 = p + (long)r6 * lp, p7 = p + (long)r7 * lp;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (int j = 0; j < length; j++)
        {
            var vv = Vector256.Load(values + (long)j * dp);
            a0 = Vector256.FusedMultiplyAdd(Vector256.Create(p0[j]), vv, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Create(p1[j]), vv, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.Create(p2[j]), vv, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.Create(p3[j]), vv, a3);
            a4 = Vector256.FusedMultiplyAdd(Vector256.Create(p4[j]), vv, a4);
            a5 = Vector256.FusedMultiplyAdd(Vector256.Create(p5[j]), vv, a5);
            a6 = Vector256.FusedMultiplyAdd(Vector256.Create(p6[j]), vv, a6);
            a7 = Vector256.FusedMultiplyAdd(Vector256.Create(p7[j]), vv, a7);
        }
        int width = Math.Min(Lanes, d - e);
        StoreRow(a0 / sums[r0], output + (long)r0 * stride + e, width); StoreRow(a1 / sums[r1], output + (long)r1 * stride + e, width);
        StoreRow(a2 / sums[r2], output + (long)r2 * stride + e, width); StoreRow(a3 / sums[r3], output + (long)r3 * stride + e, width);
        StoreRow(a4 / sums[r4], output + (long)r4 * stride + e, width); StoreRow(a5 / sums[r5], output + (long)r5 * stride + e, width);
        StoreRow(a6 / sums[r6], output + (long)r6 * stride + e, width); StoreRow(a7 / sums[r7], output + (long)r7 * stride + e, width);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(Vector256<float> a, float* destination, int width)
    {
        if (width == Lanes) a.Store(destination);
        else for (int e = 0; e < width; e++) destination[e] = a.GetElement(e);
    }

    /// <summary>The same steps in plain float for machines without 256-bit vectors; scores (L, L) scratch.</summary>
    private static void ScalarHead(float* q, float* k, float* v, int stride, float* output, int outputStride, int length, int d, float scale, float* scores)
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
            for (int j = 0; j < length; j++) total += row[j] = EncoderExp.Scalar((row[j] - max) * scale);
            for (int e = 0; e < d; e++)
            {
                float o = 0;
                for (int j = 0; j < length; j++) o = MathF.FusedMultiplyAdd(row[j], v[(long)j * stride + e], o);
                output[(long)i * outputStride + e] = o / total;
            }
        }
    }
}
