// Attention of one (sequence, head) on the blocked Sgemm, causal or bidirectional: scores, softmax, output, and their backward; no threads.
using System.Numerics.Tensors;

namespace Quill.Training.Kernels;

/// <summary>
/// q (B, T, H, D), k and v (B, T, Hkv, D), probs (B, H, T, T) as SelfAttention lays them out. For sequence b with
/// L real tokens and query head h reading KV head g: S = Q·Kᵀ·scale on the first L rows, P = softmax(S) over keys j ≤ t
/// when causal (a decoder) or over all L keys (an encoder such as BERT), zero past them and on padded rows; O = P·V (zero
/// on padded rows). Backward adds one head's share to dk and dv and overwrites its dq. The products are full L×L (a
/// causal head computes the masked half and drops it): still far faster than one dot per (t, j).
/// </summary>
public static unsafe class AttentionHead
{
    /// <summary>Sizes of the batch, and whether query t sees only keys j ≤ t (<paramref name="Causal"/>) or all its sequence's keys.</summary>
    public readonly record struct Shape(int Tokens, int Heads, int KvHeads, int HeadSize, bool Causal = true)
    {
        /// <summary>How many keys query <paramref name="row"/> of a sequence of <paramref name="length"/> tokens reads.</summary>
        public int Keys(int row, int length) => Causal ? row + 1 : length;

        public long QueryOffset(int b, int t, int head) => ((long)(b * Tokens + t) * Heads + head) * HeadSize;

        public long KvOffset(int b, int t, int kvHead) => ((long)(b * Tokens + t) * KvHeads + kvHead) * HeadSize;

        public long ProbsOffset(int b, int head) => (long)(b * Heads + head) * Tokens * Tokens;
    }

    public static void Forward(Shape s, int b, int head, int length, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        Span<float> probs, Span<float> output)
    {
        int t = s.Tokens, d = s.HeadSize, g = head / (s.Heads / s.KvHeads);
        long qStride = (long)s.Heads * d, kvStride = (long)s.KvHeads * d;
        float scale = 1.0f / MathF.Sqrt(d);
        fixed (float* pq = q) fixed (float* pk = k) fixed (float* pv = v) fixed (float* pp = probs) fixed (float* po = output)
        {
            float* p = pp + s.ProbsOffset(b, head);
            float* qh = pq + s.QueryOffset(b, 0, head), kh = pk + s.KvOffset(b, 0, g), vh = pv + s.KvOffset(b, 0, g);
            float* oh = po + s.QueryOffset(b, 0, head);
            // S (L, L) = Q (L, D) · Kᵀ, written straight into the probability rows.
            Sgemm.MultiplyStrided(qh, qStride, 1, kh, 1, kvStride, p, t, length, length, d, accumulate: false);
            for (int row = 0; row < t; row++)
            {
                var pr = new Span<float>(p + (long)row * t, t);
                if (row >= length) { pr.Clear(); continue; }
                int keys = s.Keys(row, length);
                var sr = pr[..keys];
                TensorPrimitives.Multiply(sr, scale, sr);
                // TensorPrimitives.SoftMax does not subtract the maximum; large scores would overflow to NaN.
                TensorPrimitives.Subtract(sr, TensorPrimitives.Max(sr), sr);
                TensorPrimitives.SoftMax(sr, sr);
                pr[keys..].Clear();
            }
            // O (L, D) = P (L, L) · V (L, D); padded rows are zero.
            Sgemm.MultiplyStrided(p, t, 1, vh, kvStride, 1, oh, qStride, length, d, length, accumulate: false);
            for (int row = length; row < t; row++) new Span<float>(oh + row * qStride, d).Clear();
        }
    }

    /// <summary>The scalar meaning of <see cref="Forward"/>: one dot per (t, j) it reads, softmax in double.</summary>
    public static void ForwardReference(Shape s, int b, int head, int length, ReadOnlySpan<float> q, ReadOnlySpan<float> k,
        ReadOnlySpan<float> v, Span<float> probs, Span<float> output)
    {
        int t = s.Tokens, d = s.HeadSize, g = head / (s.Heads / s.KvHeads);
        var p = probs.Slice((int)s.ProbsOffset(b, head), t * t);
        p.Clear();
        for (int row = 0; row < t; row++)
        {
            var o = output.Slice((int)s.QueryOffset(b, row, head), d);
            o.Clear();
            if (row >= length) continue;
            double max = double.NegativeInfinity;
            int keys = s.Keys(row, length);
            var scores = new double[keys];
            for (int j = 0; j < keys; j++)
            {
                double dot = 0;
                for (int x = 0; x < d; x++) dot += q[(int)s.QueryOffset(b, row, head) + x] * k[(int)s.KvOffset(b, j, g) + x];
                scores[j] = dot / Math.Sqrt(d);
                max = Math.Max(max, scores[j]);
            }
            double sum = 0;
            for (int j = 0; j < keys; j++) sum += scores[j] = Math.Exp(scores[j] - max);
            for (int j = 0; j < keys; j++)
            {
                p[row * t + j] = (float)(scores[j] / sum);
                for (int x = 0; x < d; x++) o[x] += p[row * t + j] * v[(int)s.KvOffset(b, j, g) + x];
            }
        }
    }

    /// <summary>dq of <paramref name="head"/> (overwritten), dk and dv of its KV head (added to); <paramref name="scratch"/> ≥ L·L.</summary>
    public static void Backward(Shape s, int b, int head, int length, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        ReadOnlySpan<float> probs, ReadOnlySpan<float> dOut, Span<float> dq, Span<float> dk, Span<float> dv, Span<float> scratch)
    {
        int t = s.Tokens, d = s.HeadSize, g = head / (s.Heads / s.KvHeads), l = length;
        long qStride = (long)s.Heads * d, kvStride = (long)s.KvHeads * d;
        float scale = 1.0f / MathF.Sqrt(d);
        if (scratch.Length < l * l) throw new ArgumentException($"AttentionHead: expected scratch of {l * l}, found {scratch.Length}");
        fixed (float* pq = q) fixed (float* pk = k) fixed (float* pv = v) fixed (float* pp = probs) fixed (float* pdo = dOut)
        fixed (float* pdq = dq) fixed (float* pdk = dk) fixed (float* pdv = dv) fixed (float* ds = scratch)
        {
            float* p = pp + s.ProbsOffset(b, head);
            float* qh = pq + s.QueryOffset(b, 0, head), kh = pk + s.KvOffset(b, 0, g), vh = pv + s.KvOffset(b, 0, g);
            float* doh = pdo + s.QueryOffset(b, 0, head), dqh = pdq + s.QueryOffset(b, 0, head);
            float* dkh = pdk + s.KvOffset(b, 0, g), dvh = pdv + s.KvOffset(b, 0, g);
            // dP (L, L) = dO · Vᵀ; dV += Pᵀ · dO.
            Sgemm.MultiplyStrided(doh, qStride, 1, vh, 1, kvStride, ds, l, l, l, d, accumulate: false);
            Sgemm.MultiplyStrided(p, 1, t, doh, qStride, 1, dvh, kvStride, l, d, l, accumulate: true);
            // Softmax backward per row: dS = P ⊙ (dP − Σ P·dP), then the scale of the scores.
            for (int row = 0; row < l; row++)
            {
                int keys = s.Keys(row, l);
                var pr = new ReadOnlySpan<float>(p + (long)row * t, keys);
                var dr = new Span<float>(ds + (long)row * l, l);
                var live = dr[..keys];
                float sum = TensorPrimitives.Dot(pr, live);
                TensorPrimitives.Subtract(live, sum, live);
                TensorPrimitives.Multiply(live, pr, live);
                TensorPrimitives.Multiply(live, scale, live);
                dr[keys..].Clear();
            }
            // dQ (L, D) = dS · K; dK += dSᵀ · Q.
            Sgemm.MultiplyStrided(ds, l, 1, kh, kvStride, 1, dqh, qStride, l, d, l, accumulate: false);
            Sgemm.MultiplyStrided(ds, 1, l, qh, qStride, 1, dkh, kvStride, l, d, l, accumulate: true);
            for (int row = l; row < t; row++) new Span<float>(dqh + row * qStride, d).Clear();
        }
    }
}
