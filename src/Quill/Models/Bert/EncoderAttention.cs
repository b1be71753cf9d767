// Bidirectional multi-head attention over packed sequences of different lengths (no padding rows); forward only.
using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
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
    private int[] _starts = [], _lengths = [];

    public EncoderAttention(ComputePool pool, int heads, int headSize)
    {
        _pool = pool;
        _heads = heads;
        _headSize = headSize;
        _channels = heads * headSize;
    }

    /// <summary>q, k, v, out: (T, H·D) packed rows; sequence s covers rows [starts[s], starts[s] + lengths[s]).</summary>
    public void Forward(float* q, float* k, float* v, float* output, int[] starts, int[] lengths, int sequences)
    {
        _q = q; _k = k; _v = v; _out = output;
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
        int d = _headSize, c = _channels;
        float[] keysT = ArrayPool<float>.Shared.Rent(d * maxLength);   // (D, L): a head's keys transposed
        float[] scores = ArrayPool<float>.Shared.Rent(maxLength);
        float[] acc = ArrayPool<float>.Shared.Rent(d);
        float scale = 1f / MathF.Sqrt(d);
        try
        {
            for (int item = begin; item < end; item++)
            {
                int s = item / _heads, h = item % _heads;
                int length = _lengths[s];
                long first = (long)_starts[s] * c + (long)h * d;
                for (int j = 0; j < length; j++)
                {
                    float* kj = _k + first + (long)j * c;
                    for (int e = 0; e < d; e++) keysT[e * length + j] = kj[e];
                }
                var sc = scores.AsSpan(0, length);
                for (int i = 0; i < length; i++)
                {
                    float* qi = _q + first + (long)i * c;
                    Scores(qi, keysT, length, d, sc);
                    TensorPrimitives.Multiply(sc, scale, sc);
                    float max = TensorPrimitives.Max(sc);
                    TensorPrimitives.Subtract(sc, max, sc);
                    TensorPrimitives.Exp(sc, sc);
                    float inverse = 1f / TensorPrimitives.Sum(sc);
                    var o = acc.AsSpan(0, d);
                    WeightedSum(sc, _v + first, c, o);
                    TensorPrimitives.Multiply(o, inverse, new Span<float>(_out + first + (long)i * c, d));
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(keysT);
            ArrayPool<float>.Shared.Return(scores);
            ArrayPool<float>.Shared.Return(acc);
        }
    }

    /// <summary>o[e] = Σ_j p[j] · v[j·stride + e], accumulated in j order.</summary>
    private static void WeightedSum(ReadOnlySpan<float> p, float* v, int stride, Span<float> o)
    {
        int d = o.Length, width = Vector<float>.Count;
        o.Clear();
        fixed (float* po = o)
        {
            for (int j = 0; j < p.Length; j++)
            {
                float* vj = v + (long)j * stride;
                var weight = new Vector<float>(p[j]);
                int e = 0;
                for (; e + width <= d; e += width) Vector.FusedMultiplyAdd(weight, Vector.Load(vj + e), Vector.Load(po + e)).Store(po + e);
                for (; e < d; e++) po[e] = MathF.FusedMultiplyAdd(p[j], vj[e], po[e]);
            }
        }
    }

    /// <summary>scores[j] = Σ_e q[e] · keysT[e, j] for j in [0, L), vectorised over j.</summary>
    private static void Scores(float* q, float[] keysT, int length, int d, Span<float> scores)
    {
        int width = Vector<float>.Count, j = 0;
        fixed (float* kt = keysT)
        fixed (float* sc = scores)
        {
            for (; j + width <= length; j += width)
            {
                var sum = Vector<float>.Zero;
                for (int e = 0; e < d; e++) sum = Vector.FusedMultiplyAdd(new Vector<float>(q[e]), Vector.Load(kt + e * length + j), sum);
                sum.Store(sc + j);
            }
            for (; j < length; j++)
            {
                float sum = 0;
                for (int e = 0; e < d; e++) sum = MathF.FusedMultiplyAdd(q[e], kt[e * length + j], sum);
                sc[j] = sum;
            }
        }
    }
}
