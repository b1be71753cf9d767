// Scaled dot-product attention of new query rows over a KV cache of F32 or F16 keys and values (one sequence, or several
// each over its own cache region), causal and optionally windowed; forward only.
using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
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
/// One instance per inference state; the work is split over (T, H) across the pool. Each (t, h) is computed on its
/// own, with the same operations in the same order whichever heads, queries or sequences share its call, so a query's
/// output does not depend on what else is in the batch.
/// </summary>
public sealed unsafe class CausalAttention : IRangeJob
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
        // Query heads of one KV head attended together: as many as fit the stack's scores, at least one.
        int together = Math.Clamp(StackScores / maxPositions, 1, _group);
        float[]? rented = null;
        Span<float> scores = together * maxPositions <= StackScores
            ? stackalloc float[together * maxPositions]
            : (rented = ArrayPool<float>.Shared.Rent(maxPositions));
        float* rows = stackalloc float[_half ? Math.Max(BlockFloats, _headSize) : 0];
        float* query = stackalloc float[_half ? together * _headSize : 0];
        int sequence = 0;
        for (int item = begin; item < end;)
        {
            int t = item / _heads, h = item % _heads;
            while (sequence < _sequenceCount && t >= _sequences[sequence].Row + _sequences[sequence].Count) sequence++;
            if (sequence == _sequenceCount || t < _sequences[sequence].Row) { item++; continue; } // a row no sequence owns
            // heads h.. of this row that read the same KV head, within this range
            int count = Math.Min(Math.Min(end - item, together), _group - h % _group);
            fixed (float* s = scores) Attend(t, h, count, _sequences[sequence], s, rows, query);
            item += count;
        }
        if (rented != null) ArrayPool<float>.Shared.Return(rented);
    }

    /// <summary>
    /// Query heads [h, h + count) of row t (all reading KV head h / group) over the owner's cache: scores (count × positions),
    /// softmax, weighted values. rows holds widened F16 keys or values, query the F16-rounded queries (both F16 only).
    /// </summary>
    private void Attend(int t, int h, int count, AttentionSequence owner, float* scores, float* rows, float* query)
    {
        int d = _headSize;
        int kvStride = _kvHeads * d;
        int position = owner.Start + t - owner.Row;
        int first = _window > 0 ? Math.Max(0, position - _window + 1) : 0;
        int positions = position + 1 - first;
        long firstRow = owner.CacheOffset + (long)first * kvStride + (h / _group) * d; // elements into the cache
        float scale = 1.0f / MathF.Sqrt(d);
        float* q = _q + ((long)t * _heads + h) * d;
        if (_half)
        {
            RoundToHalf(q, query, count * d);
            q = query;
        }

        // a block of rows (widened from F16, or read in place) stays in L1 while every head of the run reads it
        int blockRows = Math.Max(1, BlockFloats / d);
        // One query head over an F16 cache: each key widened in registers as its dot uses it (no row buffer, no call per
        // row); the same lanes, FMAs and sums as widening a block first.
        bool inline = _fast && _half && count == 1;
        if (inline) Scores512<HalfElements>(q, _keys + 2 * firstRow, kvStride, positions, d, scale, scores);
        for (int b = 0; b < positions && !inline; b += blockRows)
        {
            int m = Math.Min(blockRows, positions - b);
            float* k = Rows(_keys, firstRow + (long)b * kvStride, m, kvStride, rows, out int stride);
            for (int i = 0; i < count; i++)
            {
                float* si = scores + (long)i * positions + b;
                if (_fast)
                {
                    Scores512<SingleElements>(q + i * d, (byte*)k, stride, m, d, scale, si);
                    continue;
                }
                var qi = new ReadOnlySpan<float>(q + i * d, d);
                for (int j = 0; j < m; j++) si[j] = TensorPrimitives.Dot(qi, new ReadOnlySpan<float>(k + (long)j * stride, d)) * scale;
            }
        }

        for (int i = 0; i < count; i++)
        {
            var s = new Span<float>(scores + (long)i * positions, positions);
            float max = TensorPrimitives.Max(s);
            TensorPrimitives.Subtract(s, max, s);
            TensorPrimitives.Exp(s, s);
            TensorPrimitives.Multiply(s, 1.0f / TensorPrimitives.Sum(s), s);
            if (_half) RoundToHalf(scores + (long)i * positions, scores + (long)i * positions, positions);
            new Span<float>(_out + ((long)t * _heads + h + i) * d, d).Clear();
        }

        if (inline) Weighted512<HalfElements>(scores, _values + 2 * firstRow, kvStride, positions, d, _out + ((long)t * _heads + h) * d);
        for (int b = 0; b < positions && !inline; b += blockRows)
        {
            int m = Math.Min(blockRows, positions - b);
            float* v = Rows(_values, firstRow + (long)b * kvStride, m, kvStride, rows, out int stride);
            for (int i = 0; i < count; i++)
            {
                float* oi = _out + ((long)t * _heads + h + i) * d;
                float* pi = scores + (long)i * positions + b;
                if (_fast)
                {
                    Weighted512<SingleElements>(pi, (byte*)v, stride, m, d, oi);
                    continue;
                }
                var o = new Span<float>(oi, d);
                for (int j = 0; j < m; j++) TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(v + (long)j * stride, d), pi[j], o, o);
            }
        }
    }

    /// <summary>
    /// s[j] = (q · k_j) · scale for m rows k_j starting j·stride elements after k, D elements each (D a multiple of 16),
    /// read as floats by <typeparamref name="TRows"/> (F32 in place, or F16 widened exactly in registers): each dot one
    /// accumulator over the 16-element chunks in order, then summed across lanes (<see cref="Vector512.Sum{T}(Vector512{T})"/>'s
    /// tree): sixteen rows at a time with their sums taken together, four at a time for a group of sixteen that holds an
    /// unusual half and for the rest, the same sums either way. F16 rows whose halves are all normal (nearly all of them)
    /// take the four-instruction widening; F16 rows are prefetched ahead, F32 ones come widened in L1.
    /// </summary>
    private static void Scores512<TRows>(float* q, byte* k, int stride, int m, int d, float scale, float* s) where TRows : struct, IRowElements
    {
        int j = 0;
        for (; j + 16 <= m; j += 16)
        {
            byte* first = TRows.At(k, (long)j * stride);
            if (!TRows.Half)
            {
                Score16<TRows>(q, first, stride, d, scale, s + j);
                continue;
            }
            for (int r = 16; r < 32; r++) PrefetchRow(TRows.At(first, (long)r * stride), 2 * d); // the next sixteen F16 rows
            bool normal = true;
            for (int r = 0; r < 16 && normal; r++) normal = Fp16Bits.AreNormal((ushort*)TRows.At(first, (long)r * stride), d);
            if (normal)
            {
                Score16<NormalHalfElements>(q, first, stride, d, scale, s + j);
                continue;
            }
            for (int r = 0; r < 16; r += 4) Four<TRows>(q, TRows.At(first, (long)r * stride), stride, d, scale, s + j + r);
        }
        for (; j + 4 <= m; j += 4)
        {
            byte* k0 = TRows.At(k, (long)j * stride);
            if (TRows.Half)
                for (int r = RowsAhead; r < RowsAhead + 4; r++) PrefetchRow(TRows.At(k0, (long)r * stride), 2 * d);
            Four<TRows>(q, k0, stride, d, scale, s + j);
        }
        for (; j < m; j++)
        {
            byte* kj = TRows.At(k, (long)j * stride);
            if (TRows.Half && Fp16Bits.AreNormal((ushort*)kj, d)) s[j] = Score1<NormalHalfElements>(q, kj, d, scale);
            else s[j] = Score1<TRows>(q, kj, d, scale);
        }
    }

    /// <summary>Four rows from <paramref name="k0"/> through <see cref="Score4"/>, F16 ones widened short when all four allow it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Four<TRows>(float* q, byte* k0, int stride, int d, float scale, float* s) where TRows : struct, IRowElements
    {
        byte* k1 = TRows.At(k0, stride), k2 = TRows.At(k1, stride), k3 = TRows.At(k2, stride);
        if (TRows.Half && Fp16Bits.AreNormal((ushort*)k0, d) && Fp16Bits.AreNormal((ushort*)k1, d) && Fp16Bits.AreNormal((ushort*)k2, d)
            && Fp16Bits.AreNormal((ushort*)k3, d))
            Score4<NormalHalfElements>(q, k0, k1, k2, k3, d, scale, s);
        else
            Score4<TRows>(q, k0, k1, k2, k3, d, scale, s);
    }

    /// <summary>
    /// s[0..15] = (q · k_r) · scale for sixteen rows <paramref name="stride"/> elements apart, one accumulator each, summed
    /// across lanes together (<see cref="HorizontalSums.Sixteen"/>, the same bits as each row's Vector512.Sum).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Score16<TRows>(float* q, byte* k, int stride, int d, float scale, float* s) where TRows : struct, IRowElements
    {
        long step = TRows.At(k, stride) - k;
        Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        Vector512<float> a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
        byte* k4 = k + 4 * step, k8 = k + 8 * step, k12 = k + 12 * step;
        for (int c = 0; c < d; c += 16)
        {
            Vector512<float> qc = Vector512.Load(q + c);
            a0 = Avx512F.FusedMultiplyAdd(TRows.Load(k, c), qc, a0);
            a1 = Avx512F.FusedMultiplyAdd(TRows.Load(k + step, c), qc, a1);
            a2 = Avx512F.FusedMultiplyAdd(TRows.Load(k + 2 * step, c), qc, a2);
            a3 = Avx512F.FusedMultiplyAdd(TRows.Load(k + 3 * step, c), qc, a3);
            a4 = Avx512F.FusedMultiplyAdd(TRows.Load(k4, c), qc, a4);
            a5 = Avx512F.FusedMultiplyAdd(TRows.Load(k4 + step, c), qc, a5);
            a6 = Avx512F.FusedMultiplyAdd(TRows.Load(k4 + 2 * step, c), qc, a6);
            a7 = Avx512F.FusedMultiplyAdd(TRows.Load(k4 + 3 * step, c), qc, a7);
            a8 = Avx512F.FusedMultiplyAdd(TRows.Load(k8, c), qc, a8);
            a9 = Avx512F.FusedMultiplyAdd(TRows.Load(k8 + step, c), qc, a9);
            a10 = Avx512F.FusedMultiplyAdd(TRows.Load(k8 + 2 * step, c), qc, a10);
            a11 = Avx512F.FusedMultiplyAdd(TRows.Load(k8 + 3 * step, c), qc, a11);
            a12 = Avx512F.FusedMultiplyAdd(TRows.Load(k12, c), qc, a12);
            a13 = Avx512F.FusedMultiplyAdd(TRows.Load(k12 + step, c), qc, a13);
            a14 = Avx512F.FusedMultiplyAdd(TRows.Load(k12 + 2 * step, c), qc, a14);
            a15 = Avx512F.FusedMultiplyAdd(TRows.Load(k12 + 3 * step, c), qc, a15);
        }
        (HorizontalSums.Sixteen(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15) * Vector512.Create(scale)).Store(s);
    }

    /// <summary>s[0..3] = (q · k_r) · scale for four rows, one accumulator each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Score4<TRows>(float* q, byte* k0, byte* k1, byte* k2, byte* k3, int d, float scale, float* s) where TRows : struct, IRowElements
    {
        Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
        for (int c = 0; c < d; c += 16)
        {
            Vector512<float> qc = Vector512.Load(q + c);
            a0 = Avx512F.FusedMultiplyAdd(TRows.Load(k0, c), qc, a0);
            a1 = Avx512F.FusedMultiplyAdd(TRows.Load(k1, c), qc, a1);
            a2 = Avx512F.FusedMultiplyAdd(TRows.Load(k2, c), qc, a2);
            a3 = Avx512F.FusedMultiplyAdd(TRows.Load(k3, c), qc, a3);
        }
        s[0] = Vector512.Sum(a0) * scale;
        s[1] = Vector512.Sum(a1) * scale;
        s[2] = Vector512.Sum(a2) * scale;
        s[3] = Vector512.Sum(a3) * scale;
    }

    /// <summary>(q · k) · scale for one row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Score1<TRows>(float* q, byte* k, int d, float scale) where TRows : struct, IRowElements
    {
        Vector512<float> a = Vector512<float>.Zero;
        for (int c = 0; c < d; c += 16) a = Avx512F.FusedMultiplyAdd(TRows.Load(k, c), Vector512.Load(q + c), a);
        return Vector512.Sum(a) * scale;
    }

    /// <summary>
    /// o += Σ_j p[j] · v_j over m rows v_j starting j·stride elements after v, D elements each (D a multiple of 16), read
    /// as floats by <typeparamref name="TRows"/>: each output element a multiply and an add per row in row order (unfused,
    /// as TensorPrimitives.MultiplyAdd on the other path; it kept GPT-2 F32 closer to llama.cpp than FMA did), up to 64
    /// elements held in registers across the rows. An F16 row's 64 elements take the four-instruction widening when
    /// they are all normal.
    /// </summary>
    private static void Weighted512<TRows>(float* p, byte* v, int stride, int m, int d, float* o) where TRows : struct, IRowElements
    {
        int c = 0;
        for (; c + 64 <= d; c += 64)
        {
            Vector512<float> a0 = Vector512.Load(o + c), a1 = Vector512.Load(o + c + 16), a2 = Vector512.Load(o + c + 32), a3 = Vector512.Load(o + c + 48);
            for (int j = 0; j < m; j++)
            {
                byte* vj = TRows.At(v, (long)j * stride + c);
                Vector512<float> pj = Vector512.Create(p[j]);
                if (TRows.Half)
                {
                    PrefetchRow(TRows.At(vj, (long)RowsAhead * stride), 128);
                    if (Fp16Bits.AreNormal((ushort*)vj, 64))
                    {
                        a0 = a0 + NormalHalfElements.Load(vj, 0) * pj;
                        a1 = a1 + NormalHalfElements.Load(vj, 16) * pj;
                        a2 = a2 + NormalHalfElements.Load(vj, 32) * pj;
                        a3 = a3 + NormalHalfElements.Load(vj, 48) * pj;
                        continue;
                    }
                }
                a0 = a0 + TRows.Load(vj, 0) * pj;
                a1 = a1 + TRows.Load(vj, 16) * pj;
                a2 = a2 + TRows.Load(vj, 32) * pj;
                a3 = a3 + TRows.Load(vj, 48) * pj;
            }
            a0.Store(o + c);
            a1.Store(o + c + 16);
            a2.Store(o + c + 32);
            a3.Store(o + c + 48);
        }
        for (; c < d; c += 16)
        {
            Vector512<float> a = Vector512.Load(o + c);
            for (int j = 0; j < m; j++) a = a + TRows.Load(TRows.At(v, (long)j * stride + c), 0) * Vector512.Create(p[j]);
            a.Store(o + c);
        }
    }

    /// <summary>
    /// Rows ahead of the one being read that the loops prefetch. A head's rows are Hkv·D elements apart in the cache, a
    /// stride the hardware prefetcher follows poorly, and with sixteen sequences the cache is past L2: without it the
    /// weighted sum waited about 70 cycles a row.
    /// </summary>
    private const int RowsAhead = 8;

    /// <summary>Prefetches the lines of [row, row + bytes) into L1 (prefetches never fault, so rows past the end are harmless).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchRow(byte* row, long bytes)
    {
        for (long l = 0; l < bytes; l += 64) Sse.Prefetch0(row + l);
    }

    /// <summary>How the AVX-512 loops walk key or value rows and read 16 of their elements as floats.</summary>
    private interface IRowElements
    {
        /// <summary>F16 rows, which may take <see cref="NormalHalfElements"/>' widening where every half is normal.</summary>
        static abstract bool Half { get; }

        /// <summary>The address <paramref name="elements"/> elements after <paramref name="at"/>.</summary>
        static abstract byte* At(byte* at, long elements);

        /// <summary>Elements [c, c + 16) after <paramref name="row"/>, as floats.</summary>
        static abstract Vector512<float> Load(byte* row, int c);
    }

    /// <summary>F32 rows, read in place.</summary>
    private readonly struct SingleElements : IRowElements
    {
        public static bool Half => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static byte* At(byte* at, long elements) => (byte*)((float*)at + elements);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(byte* row, int c) => Vector512.Load((float*)row + c);
    }

    /// <summary>F16 rows, each chunk widened exactly where it is read (no row buffer), whatever its halves.</summary>
    private readonly struct HalfElements : IRowElements
    {
        public static bool Half => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static byte* At(byte* at, long elements) => (byte*)((ushort*)at + elements);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(byte* row, int c) => Fp16Bits.Widen(Vector256.Load((ushort*)row + c));
    }

    /// <summary>F16 rows whose halves are all normal (<see cref="Fp16Bits.AreNormal"/>): the same floats in four instructions, not ten.</summary>
    private readonly struct NormalHalfElements : IRowElements
    {
        public static bool Half => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static byte* At(byte* at, long elements) => (byte*)((ushort*)at + elements);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(byte* row, int c) => Fp16Bits.WidenNormal(Vector256.Load((ushort*)row + c));
    }

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
