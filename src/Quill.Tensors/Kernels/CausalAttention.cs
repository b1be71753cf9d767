// Scaled dot-product attention of new query rows over a KV cache of F32 or F16 keys and values (one sequence, or several
// each over its own cache region), causal and optionally windowed; forward only.
using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Quill.Tensors.Quantization;
using Quill.Tensors.Simd;
using Quill.Tensors.Threading;

namespace Quill.Tensors.Kernels;

/// <summary>
/// For query token t at absolute position p = start + t and head h (grouped-query: KV head h / (H / Hkv)):
/// out[t, h] = Σ_j softmax_j(q[t, h] · k[j] / √D) v[j] over cached positions j ≤ p (and j &gt; p − window when a sliding
/// window is set). The cache must already hold keys and values for every position up to start + T − 1.
/// <para>
/// The cache holds F32, or F16 (IEEE half) as llama.cpp's default cache does. With F16 the kernel computes what llama.cpp's
/// non-flash attention computes over an F16 cache: q is rounded to F16 before q·k (ggml converts the F32 operand of an F16
/// matmul to F16) and so are the softmax probabilities before they weight the values; products and sums stay F32. Keys
/// and values are widened to F32 a block of rows at a time on the stack, once for all the query heads that share them.
/// </para>
/// <para>
/// With AVX-512 (D a multiple of 16) the floats follow llama.cpp's x86 order for a prompt: q·k as the matmul llama.cpp runs
/// there (over an F16 cache tinyBLAS, a halving sum of one 16-lane FMA chain; over an F32 cache, whose q is a permuted view
/// tinyBLAS does not take, ggml_vec_dot_f32, see VecDotScores), the softmax as ggml's (<see cref="GgmlSoftmax"/>), and
/// each output as tinyBLAS's kqv, a halving sum of 16 partial sums, one per cache cell mod 16. A prompt's logits are then
/// llama.cpp's bit for bit (LlamaDifferentialTests). llama.cpp itself is not batch invariant: for a single token tinyBLAS
/// steps aside (it serves n ≥ 2) and its weighted values take ggml_vec_dot; Quill keeps one order for every batch, so a
/// generation step can sit an ulp from llama.cpp's.
/// </para>
/// One instance per inference state; the work is split over (T, H) across the pool. Each (t, h) is computed on its
/// own, with the same operations in the same order whichever heads, queries or sequences share its call, so a query's
/// output does not depend on what else is in the batch.
/// </summary>
public sealed unsafe partial class CausalAttention : IRangeJob
{
    private const int StackScores = 16384; // scores of the heads attended together (heads × positions) kept on the stack
    private const int BlockFloats = 4096;  // keys or values attended at a time (rows × D), F16 ones widened into a stack buffer
    private const int RoundChunk = 1024;   // probabilities rounded to F16 at a time
    private readonly ComputePool _pool;
    private readonly int _heads, _kvHeads, _headSize, _group;
    private readonly SimdWidth _width;
    private readonly bool _fast; // AVX-512 loops for D a multiple of 16; TensorPrimitives per row otherwise
    private float* _q, _out;
    private byte* _keys, _values; // F32 or F16 elements, as _half says
    private bool _half;
    private int _window, _maxPositions;
    private AttentionSequence[] _sequences = new AttentionSequence[1];
    private int _sequenceCount;

    public CausalAttention(ComputePool pool, int heads, int kvHeads, int headSize) : this(pool, heads, kvHeads, headSize, SimdCapability.Best)
    {
    }

    /// <summary>Pins the SIMD width of the F16 conversions (tests run every width).</summary>
    internal CausalAttention(ComputePool pool, int heads, int kvHeads, int headSize, SimdWidth width)
    {
        _pool = pool;
        _heads = heads;
        _kvHeads = kvHeads;
        _headSize = headSize;
        _group = heads / kvHeads;
        _width = width;
        _fast = width == SimdWidth.Vector512 && headSize % 16 == 0;
    }

    /// <summary>
    /// q (T, H, D) → out (T, H, D); keys and values (positions, Hkv, D) for this layer in F32; window 0 = unlimited.
    /// </summary>
    public void Forward(float* q, float* keys, float* values, float* output, int tokens, int start, int window)
    {
        var one = new AttentionSequence(0, tokens, start, 0);
        Forward(q, keys, values, output, new ReadOnlySpan<AttentionSequence>(in one), window);
    }

    /// <summary>As the F32 overload, over keys and values (positions, Hkv, D) in F16.</summary>
    public void Forward(float* q, Half* keys, Half* values, float* output, int tokens, int start, int window)
    {
        var one = new AttentionSequence(0, tokens, start, 0);
        Forward(q, keys, values, output, new ReadOnlySpan<AttentionSequence>(in one), window);
    }

    /// <summary>
    /// Several sequences in one call: q (T, H, D) → out (T, H, D), where sequence s owns rows [Row, Row + Count) at
    /// positions Start.. and its keys and values start <see cref="AttentionSequence.CacheOffset"/> elements into
    /// <paramref name="keys"/> and <paramref name="values"/> (F32). Rows must be in sequence order.
    /// </summary>
    public void Forward(float* q, float* keys, float* values, float* output, ReadOnlySpan<AttentionSequence> sequences, int window) =>
        Run(q, (byte*)keys, (byte*)values, half: false, output, sequences, window);

    /// <summary>As the F32 overload, over keys and values in F16.</summary>
    public void Forward(float* q, Half* keys, Half* values, float* output, ReadOnlySpan<AttentionSequence> sequences, int window) =>
        Run(q, (byte*)keys, (byte*)values, half: true, output, sequences, window);

    private void Run(float* q, byte* keys, byte* values, bool half, float* output, ReadOnlySpan<AttentionSequence> sequences, int window)
    {
        if (sequences.Length > _sequences.Length) _sequences = new AttentionSequence[Math.Max(sequences.Length, 2 * _sequences.Length)];
        sequences.CopyTo(_sequences);
        _sequenceCount = sequences.Length;
        _q = q; _keys = keys; _values = values; _half = half; _out = output; _window = window;
        int rows = 0, maxPositions = 0;
        foreach (var s in sequences)
        {
            rows = Math.Max(rows, s.Row + s.Count);
            maxPositions = Math.Max(maxPositions, s.Start + s.Count);
        }
        _maxPositions = maxPositions;
        // Whole groups of query heads per chunk when there are enough of them to go round, so the heads that share a KV
        // head share its widened rows; the results are the same either way.
        int granularity = rows * _kvHeads >= _pool.ThreadCount ? _group : 1;
        _pool.Run(this, rows * _heads, granularity);
    }

    /// <summary>Scalar meaning for one (t, h) over an F32 cache: float dot products, softmax summed in double as ggml does.</summary>
    public static void Reference(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, Span<float> output,
        int position, int window, int kvStride, int kvOffset, int headSize) =>
        ReferenceCore(q, keys, values, output, position, window, kvStride, kvOffset, headSize, half: false);

    /// <summary>
    /// Scalar meaning for one (t, h) over an F16 cache: keys and values widened exactly, q and the probabilities rounded to
    /// F16 (to nearest even) as llama.cpp's F16 matmuls round their F32 operand; otherwise as the F32 reference.
    /// </summary>
    public static void Reference(ReadOnlySpan<float> q, ReadOnlySpan<Half> keys, ReadOnlySpan<Half> values, Span<float> output,
        int position, int window, int kvStride, int kvOffset, int headSize)
    {
        var wideKeys = new float[keys.Length];
        var wideValues = new float[values.Length];
        for (int i = 0; i < keys.Length; i++) wideKeys[i] = Fp16Bits.ToSingle(BitConverter.HalfToUInt16Bits(keys[i]));
        for (int i = 0; i < values.Length; i++) wideValues[i] = Fp16Bits.ToSingle(BitConverter.HalfToUInt16Bits(values[i]));
        ReferenceCore(q, wideKeys, wideValues, output, position, window, kvStride, kvOffset, headSize, half: true);
    }

    private static void ReferenceCore(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, Span<float> output,
        int position, int window, int kvStride, int kvOffset, int headSize, bool half)
    {
        int first = window > 0 ? Math.Max(0, position - window + 1) : 0;
        float scale = 1.0f / MathF.Sqrt(headSize);
        var query = new float[headSize];
        for (int d = 0; d < headSize; d++) query[d] = half ? RoundToHalf(q[d]) : q[d];
        var scores = new float[position + 1];
        float max = float.NegativeInfinity;
        for (int j = first; j <= position; j++)
        {
            float s = 0;
            for (int d = 0; d < headSize; d++) s += query[d] * keys[j * kvStride + kvOffset + d];
            scores[j] = s * scale;
            max = Math.Max(max, scores[j]);
        }
        double sum = 0;
        for (int j = first; j <= position; j++) { scores[j] = MathF.Exp(scores[j] - max); sum += scores[j]; }
        output[..headSize].Clear();
        for (int j = first; j <= position; j++)
        {
            float p = (float)(scores[j] / sum);
            if (half) p = RoundToHalf(p);
            for (int d = 0; d < headSize; d++) output[d] += p * values[j * kvStride + kvOffset + d];
        }
    }

    private static float RoundToHalf(float x) => Fp16Bits.ToSingle(Fp16Bits.FromSingle(x));

    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void IRangeJob.Execute(int begin, int end)
    {
        int maxPositions = Math.Max(1, _maxPositions);
        // Query heads of one row attended together: as many as fit the stack's scores, at least one.
        int together = Math.Clamp(StackScores / maxPositions, 1, _heads);
        float[]? rented = null;
        Span<float> scores = together * maxPositions <= StackScores
            ? stackalloc float[together * maxPositions]
            : (rented = ArrayPool<float>.Shared.Rent(maxPositions));
        float* rows = stackalloc float[_half ? Math.Max(BlockFloats, _headSize) : 0];
        float* query = stackalloc float[_half ? 2 * together * _headSize : 0]; // F16-rounded queries, then the same times 2^112
        int sequence = 0;
        for (int item = begin; item < end;)
        {
            int t = item / _heads, h = item % _heads;
            while (sequence < _sequenceCount && t >= _sequences[sequence].Row + _sequences[sequence].Count) sequence++;
            if (sequence == _sequenceCount || t < _sequences[sequence].Row) { item++; continue; } // a row no sequence owns
            // heads h.. of this row within this range
            int count = Math.Min(Math.Min(end - item, together), _heads - h);
            fixed (float* s = scores) Attend(t, h, count, _sequences[sequence], s, rows, query);
            item += count;
        }
        if (rented != null) ArrayPool<float>.Shared.Return(rented);
    }

    /// <summary>
    /// Query heads [h0, h0 + count) of row t over the owner's cache: scores (count × positions), softmax, weighted values.
    /// The cache is walked a block of positions at a time, every head of the run reading its part of the block before
    /// the next block: a position's keys (or values) for all KV heads are one contiguous run of memory, so the block
    /// streams in order and stays in L1 while the heads read it, where a head at a time strided through the cache.
    /// rows holds widened F16 keys or values, query the F16-rounded queries (both F16 only).
    /// </summary>
    private void Attend(int t, int h0, int count, AttentionSequence owner, float* scores, float* rows, float* query)
    {
        int d = _headSize;
        int kvStride = _kvHeads * d;
        int position = owner.Start + t - owner.Row;
        int first = _window > 0 ? Math.Max(0, position - _window + 1) : 0;
        int positions = position + 1 - first;
        long firstRow = owner.CacheOffset + (long)first * kvStride; // elements into the cache
        float scale = 1.0f / MathF.Sqrt(d);
        float* q = _q + ((long)t * _heads + h0) * d;
        if (_half)
        {
            RoundToHalf(q, query, count * d);
            q = query;
            if (_fast) TensorPrimitives.Multiply(new ReadOnlySpan<float>(q, count * d), Fp16Bits.NormalScale, new Span<float>(q + count * d, count * d));
        }
        int blockRows = BlockRows(kvStride * (_half ? 2 : 4), d);

        for (int b = 0; b < positions; b += blockRows)
        {
            int m = Math.Min(blockRows, positions - b);
            long blockRow = firstRow + (long)b * kvStride;
            for (int i = 0; i < count;)
            {
                int h = h0 + i, n = Math.Min(count - i, _group - h % _group); // heads i.. of the run that read KV head h / group
                long at = blockRow + (h / _group) * d;
                // One query head over an F16 cache: each key widened in registers as its dot uses it (no row buffer, no call
                // per row); the same lanes, FMAs and sums as widening a block first.
                if (_fast && _half && n == 1)
                {
                    Scores512<HalfElements>(q + i * d, q + (count + i) * d, _keys + 2 * at, kvStride, m, d, scale, scores + (long)i * positions + b);
                    i++;
                    continue;
                }
                float* k = Rows(_keys, at, m, kvStride, rows, out int stride);
                for (int e = i; e < i + n; e++)
                {
                    float* se = scores + (long)e * positions + b;
                    if (_fast)
                    {
                        if (_half) Scores512<SingleElements>(q + e * d, q + e * d, (byte*)k, stride, m, d, scale, se);
                        else VecDotScores(q + e * d, k, stride, m, d, scale, se);
                        continue;
                    }
                    var qe = new ReadOnlySpan<float>(q + e * d, d);
                    for (int j = 0; j < m; j++) se[j] = TensorPrimitives.Dot(qe, new ReadOnlySpan<float>(k + (long)j * stride, d)) * scale;
                }
                i += n;
            }
        }

        for (int i = 0; i < count; i++)
        {
            GgmlSoftmax.Row(scores + (long)i * positions, positions, first, SimdCapability.Best);
            if (_half) RoundToHalf(scores + (long)i * positions, scores + (long)i * positions, positions);
            if (!_fast) new Span<float>(_out + ((long)t * _heads + h0 + i) * d, d).Clear(); // the AVX-512 path writes it whole (ReduceLanes)
        }

        // The AVX-512 weighted sums keep sixteen partial sums per output (one per cell mod 16) across the blocks.
        int lead = first & 15, laneFloats = 16 * d;
        float[] laneArray = _fast ? LaneScratch(count * laneFloats) : [];
        fixed (float* lanes = laneArray)
        {
            for (int b = 0; b < positions; b += blockRows)
            {
                int m = Math.Min(blockRows, positions - b);
                long blockRow = firstRow + (long)b * kvStride;
                for (int i = 0; i < count;)
                {
                    int h = h0 + i, n = Math.Min(count - i, _group - h % _group);
                    long at = blockRow + (h / _group) * d;
                    if (_fast && _half && n == 1)
                    {
                        Weighted512<HalfElements>(scores + (long)i * positions + b, _values + 2 * at, kvStride, m, d, lead, lanes + i * laneFloats);
                        i++;
                        continue;
                    }
                    float* v = Rows(_values, at, m, kvStride, rows, out int stride);
                    for (int e = i; e < i + n; e++)
                    {
                        float* pe = scores + (long)e * positions + b;
                        if (_fast && e + 1 < i + n)
                        {
                            WeightedPair(pe, positions, v, stride, m, d, lead, lanes + e * laneFloats);
                            e++;
                            continue;
                        }
                        if (_fast)
                        {
                            Weighted512<SingleElements>(pe, (byte*)v, stride, m, d, lead, lanes + e * laneFloats);
                            continue;
                        }
                        var o = new Span<float>(_out + ((long)t * _heads + h0 + e) * d, d);
                        for (int j = 0; j < m; j++) TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(v + (long)j * stride, d), pe[j], o, o);
                    }
                    i += n;
                }
            }
            if (_fast)
                for (int i = 0; i < count; i++) ReduceLanes(lanes + i * laneFloats, d, _out + ((long)t * _heads + h0 + i) * d);
        }
    }

    [ThreadStatic] private static float[]? t_lanes;

    /// <summary>This thread's partial-sum buffer, at least <paramref name="floats"/> long, its first floats zeroed.</summary>
    private static float[] LaneScratch(int floats)
    {
        if (t_lanes is null || t_lanes.Length < floats) t_lanes = new float[Math.Max(floats, 4096)];
        Array.Clear(t_lanes, 0, floats);
        return t_lanes;
    }

    /// <summary>Cache bytes (all KV heads) one block of positions spans at most: the block stays in L1 while its heads read it.</summary>
    private const int PositionBlockBytes = 128 * 1024;

    /// <summary>
    /// Positions per block: a multiple of sixteen (the score loops' widest step) spanning about
    /// <see cref="PositionBlockBytes"/>, at least sixteen, and no more than the widened-row buffer holds.
    /// </summary>
    private static int BlockRows(int positionBytes, int d) =>
        Math.Min(Math.Max(16, PositionBlockBytes / positionBytes & ~15), Math.Max(1, BlockFloats / d));

    /// <summary>
    /// F32 rows [at, at + m·kvStride) of the cache, D elements each: the cache itself (stride kvStride) when it holds F32,
    /// else the rows widened into <paramref name="buffer"/> (stride D).
    /// </summary>
    private float* Rows(byte* cache, long at, int m, int kvStride, float* buffer, out int stride)
    {
        if (!_half)
        {
            stride = kvStride;
            return (float*)cache + at;
        }
        int d = _headSize;
        ushort* first = (ushort*)cache + at;
        if (_width == SimdWidth.Scalar)
        {
            for (int j = 0; j < m; j++)
                for (int e = 0; e < d; e++) buffer[j * d + e] = Fp16Bits.ToSingle(first[(long)j * kvStride + e]);
        }
        else if (_fast)
        {
            // Row by row: all-normal rows (nearly all) through the four-instruction widening, the others exactly.
            for (int j = 0; j < m; j++)
            {
                ushort* row = first + (long)j * kvStride;
                float* to = buffer + j * d;
                PrefetchRow((byte*)(row + (long)RowsAhead * kvStride), 2 * d);
                if (Fp16Bits.AreNormal(row, d))
                {
                    for (int c = 0; c < d; c += 16) Fp16Bits.WidenNormal(Vector256.Load(row + c)).Store(to + c);
                }
                else
                {
                    HalfWidthRow<Fp16Float>.DequantizeSimd(row, to, d, _width);
                }
            }
        }
        else if (kvStride == d)
        {
            HalfWidthRow<Fp16Float>.DequantizeSimd(first, buffer, m * d, _width); // one KV head: the rows are contiguous
        }
        else
        {
            for (int j = 0; j < m; j++) HalfWidthRow<Fp16Float>.DequantizeSimd(first + (long)j * kvStride, buffer + j * d, d, _width);
        }
        stride = d;
        return buffer;
    }

    /// <summary>y = x rounded to the nearest F16 (ties to even), as floats; x and y may be the same.</summary>
    [SkipLocalsInit]
    private void RoundToHalf(float* x, float* y, int n)
    {
        ushort* bits = stackalloc ushort[RoundChunk];
        for (int i = 0; i < n; i += RoundChunk)
        {
            int m = Math.Min(RoundChunk, n - i);
            var half = new Span<byte>(bits, 2 * m);
            F16Row.Quantize(new ReadOnlySpan<float>(x + i, m), half, _width);
            F16Row.Dequantize(half, new Span<float>(y + i, m), _width);
        }
    }
}

/// <summary>One sequence of a multi-sequence <see cref="CausalAttention.Forward(float*, float*, float*, float*, ReadOnlySpan{AttentionSequence}, int)"/>:
/// query rows [Row, Row + Count) at positions [Start, Start + Count), its cache <paramref name="CacheOffset"/> elements in.</summary>
public readonly record struct AttentionSequence(int Row, int Count, int Start, long CacheOffset);
