// Scaled dot-product attention of new query rows over a KV cache (one sequence, or several each over its own cache
// region), causal and optionally windowed; forward only.
using System.Buffers;
using System.Numerics.Tensors;
using Quill.Tensors.Threading;

namespace Quill.Tensors.Kernels;

/// <summary>
/// For query token t at absolute position p = start + t and head h (grouped-query: KV head h / (H / Hkv)):
/// out[t, h] = Σ_j softmax_j(q[t, h] · k[j] / √D) v[j] over cached positions j ≤ p (and j &gt; p − window when a sliding
/// window is set). The cache must already hold keys and values for every position up to start + T − 1.
/// One instance per inference state; the work is split over (T, H) across the pool. Each (t, h) is computed on its
/// own, so a query's output does not depend on which other queries or sequences share the call.
/// </summary>
public sealed unsafe class CausalAttention : IRangeJob
{
    private readonly ComputePool _pool;
    private readonly int _heads, _kvHeads, _headSize;
    private float* _q, _keys, _values, _out;
    private int _window, _maxPositions;
    private AttentionSequence[] _sequences = new AttentionSequence[1];
    private int _sequenceCount;

    public CausalAttention(ComputePool pool, int heads, int kvHeads, int headSize)
    {
        _pool = pool;
        _heads = heads;
        _kvHeads = kvHeads;
        _headSize = headSize;
    }

    /// <summary>
    /// q (T, H, D) → out (T, H, D); keys and values (positions, Hkv, D) for this layer; window 0 = unlimited.
    /// </summary>
    public void Forward(float* q, float* keys, float* values, float* output, int tokens, int start, int window)
    {
        var one = new AttentionSequence(0, tokens, start, 0);
        Forward(q, keys, values, output, new ReadOnlySpan<AttentionSequence>(in one), window);
    }

    /// <summary>
    /// Several sequences in one call: q (T, H, D) → out (T, H, D), where sequence s owns rows [Row, Row + Count) at
    /// positions Start.. and its keys and values start <see cref="AttentionSequence.CacheOffset"/> floats into
    /// <paramref name="keys"/> and <paramref name="values"/>. Rows must be in sequence order.
    /// </summary>
    public void Forward(float* q, float* keys, float* values, float* output, ReadOnlySpan<AttentionSequence> sequences, int window)
    {
        if (sequences.Length > _sequences.Length) _sequences = new AttentionSequence[Math.Max(sequences.Length, 2 * _sequences.Length)];
        sequences.CopyTo(_sequences);
        _sequenceCount = sequences.Length;
        _q = q; _keys = keys; _values = values; _out = output; _window = window;
        int rows = 0, maxPositions = 0;
        foreach (var s in sequences)
        {
            rows = Math.Max(rows, s.Row + s.Count);
            maxPositions = Math.Max(maxPositions, s.Start + s.Count);
        }
        _maxPositions = maxPositions;
        _pool.Run(this, rows * _heads);
    }

    /// <summary>Scalar meaning for one (t, h): float dot products, softmax summed in double as ggml does.</summary>
    public static void Reference(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, Span<float> output,
        int position, int window, int kvStride, int kvOffset, int headSize)
    {
        int first = window > 0 ? Math.Max(0, position - window + 1) : 0;
        float scale = 1.0f / MathF.Sqrt(headSize);
        var scores = new float[position + 1];
        float max = float.NegativeInfinity;
        for (int j = first; j <= position; j++)
        {
            float s = 0;
            for (int d = 0; d < headSize; d++) s += q[d] * keys[j * kvStride + kvOffset + d];
            scores[j] = s * scale;
            max = Math.Max(max, scores[j]);
        }
        double sum = 0;
        for (int j = first; j <= position; j++) { scores[j] = MathF.Exp(scores[j] - max); sum += scores[j]; }
        output[..headSize].Clear();
        for (int j = first; j <= position; j++)
        {
            float p = (float)(scores[j] / sum);
            for (int d = 0; d < headSize; d++) output[d] += p * values[j * kvStride + kvOffset + d];
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    void IRangeJob.Execute(int begin, int end)
    {
        int d = _headSize;
        int kvStride = _kvHeads * d;
        int group = _heads / _kvHeads;
        int maxPositions = _maxPositions;
        float[]? rented = null;
        Span<float> scores = maxPositions <= 8192 ? stackalloc float[maxPositions] : (rented = ArrayPool<float>.Shared.Rent(maxPositions));
        float scale = 1.0f / MathF.Sqrt(d);
        int sequence = 0;
        for (int item = begin; item < end; item++)
        {
            int t = item / _heads, h = item % _heads;
            while (sequence < _sequenceCount && t >= _sequences[sequence].Row + _sequences[sequence].Count) sequence++;
            if (sequence == _sequenceCount || t < _sequences[sequence].Row) continue; // a row no sequence owns
            var owner = _sequences[sequence];
            int position = owner.Start + t - owner.Row;
            int first = _window > 0 ? Math.Max(0, position - _window + 1) : 0;
            var q = new ReadOnlySpan<float>(_q + (long)item * d, d);
            long kvOffset = owner.CacheOffset + (h / group) * d;
            var s = scores[..(position + 1 - first)];
            for (int j = first; j <= position; j++)
                s[j - first] = TensorPrimitives.Dot(q, new ReadOnlySpan<float>(_keys + (long)j * kvStride + kvOffset, d)) * scale;
            float max = TensorPrimitives.Max(s);
            TensorPrimitives.Subtract(s, max, s);
            TensorPrimitives.Exp(s, s);
            float inv = 1.0f / TensorPrimitives.Sum(s);
            var o = new Span<float>(_out + (long)item * d, d);
            o.Clear();
            for (int j = first; j <= position; j++)
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(_values + (long)j * kvStride + kvOffset, d), s[j - first] * inv, o, o);
        }
        if (rented != null) ArrayPool<float>.Shared.Return(rented);
    }
}

/// <summary>One sequence of a multi-sequence <see cref="CausalAttention.Forward(float*, float*, float*, float*, ReadOnlySpan{AttentionSequence}, int)"/>:
/// query rows [Row, Row + Count) at positions [Start, Start + Count), its cache <paramref name="CacheOffset"/> floats in.</summary>
public readonly record struct AttentionSequence(int Row, int Count, int Start, long CacheOffset);
