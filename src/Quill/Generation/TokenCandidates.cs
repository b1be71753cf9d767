// The samplers' working buffer: candidate ids, logits and probabilities, allocated once per sampler chain.
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Quill.Generation;

/// <summary>
/// The tokens still in the running for one draw (llama.cpp's <c>llama_token_data_array</c>). Filled from the logits
/// (V) in vocabulary order; samplers shrink <see cref="Count"/>, reorder, rescale logits and fill probabilities in place.
/// Every array is sized V up front, so no sampler allocates per token.
/// </summary>
public sealed class TokenCandidates
{
    private readonly int[] _ids;       // (V) candidate token ids, first Count valid
    private readonly float[] _logits;  // (V)
    private readonly float[] _probs;   // (V) softmax of logits over the first Count, valid after Softmax()
    private readonly ulong[] _keys;    // (V) sort scratch: (descending logit, ascending id) packed into one integer

    /// <summary>Creates a buffer for a vocabulary of <paramref name="vocabSize"/> tokens.</summary>
    public TokenCandidates(int vocabSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabSize);
        _ids = new int[vocabSize];
        _logits = new float[vocabSize];
        _probs = new float[vocabSize];
        _keys = new ulong[vocabSize];
    }

    /// <summary>The vocabulary size V this buffer was made for.</summary>
    public int Capacity => _ids.Length;

    /// <summary>How many candidates remain.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// How many leading candidates are known to be the best of all candidates, in descending logit order
    /// (ties: lower id first).
    /// </summary>
    public int SortedCount { get; private set; }

    /// <summary>True while candidate i is token i for every i &lt; V (nothing removed or moved since <see cref="Reset"/>).</summary>
    public bool IsVocabularyOrder { get; private set; }

    /// <summary>Index (into the candidates) of the token a terminal sampler picked, or -1.</summary>
    public int Selected { get; set; } = -1;

    /// <summary>The candidate ids.</summary>
    public Span<int> Ids => _ids.AsSpan(0, Count);

    /// <summary>The candidate logits, as the samplers so far left them.</summary>
    public Span<float> Logits => _logits.AsSpan(0, Count);

    /// <summary>The candidate probabilities; only meaningful after <see cref="Softmax"/> or a draw.</summary>
    public Span<float> Probs => _probs.AsSpan(0, Count);

    /// <summary>Refills the buffer with every token and its logit (V). NaN logits become -∞ so one bad value cannot poison the softmax.</summary>
    public void Reset(ReadOnlySpan<float> source)
    {
        if (source.Length != Capacity) ThrowLengthMismatch(source.Length, Capacity);
        // A vocabulary per sequence per step, on the decode loop's serial path: a vector at a time, NaN read as −∞.
        int i = 0;
        var negativeInfinity = new Vector<float>(float.NegativeInfinity);
        for (; i + Vector<float>.Count <= source.Length; i += Vector<float>.Count)
        {
            var l = new Vector<float>(source[i..]);
            Vector.ConditionalSelect(Vector.Equals(l, l), l, negativeInfinity).CopyTo(_logits, i);
            (Vector<int>.Indices + new Vector<int>(i)).CopyTo(_ids, i);
        }
        for (; i < source.Length; i++)
        {
            float l = source[i];
            _ids[i] = i;
            _logits[i] = float.IsNaN(l) ? float.NegativeInfinity : l;
        }
        Count = source.Length;
        SortedCount = 0;
        IsVocabularyOrder = true;
        Selected = -1;
    }

    /// <summary>Keeps only the first <paramref name="count"/> candidates.</summary>
    public void Truncate(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count >= Count) return;
        Count = count;
        SortedCount = Math.Min(SortedCount, count);
        IsVocabularyOrder = false;
    }

    /// <summary>
    /// Keeps the candidates whose logit is at least <paramref name="threshold"/>, in their current order
    /// (an in-place compaction, so a sorted prefix stays sorted). Returns how many were kept.
    /// </summary>
    public int KeepAtLeast(float threshold)
    {
        int kept = 0, sortedKept = 0;
        for (int i = 0; i < Count; i++)
        {
            if (!(_logits[i] >= threshold)) continue;
            _ids[kept] = _ids[i];
            _logits[kept] = _logits[i];
            _probs[kept] = _probs[i];
            kept++;
            if (i < SortedCount) sortedKept++;
        }
        if (kept != Count) IsVocabularyOrder = false;
        // Survivors of the sorted prefix are still the best of the survivors, in order, and still come first.
        SortedCount = sortedKept;
        Count = kept;
        return kept;
    }

    /// <summary>Index of the largest logit (ties → lowest id), or -1 when empty.</summary>
    public int ArgMax()
    {
        if (Count == 0) return -1;
        if (SortedCount > 0) return 0;
        int best = 0;
        for (int i = 1; i < Count; i++)
        {
            if (_logits[i] > _logits[best] || (_logits[i] == _logits[best] && _ids[i] < _ids[best])) best = i;
        }
        return best;
    }

    /// <summary>The largest remaining logit.</summary>
    public float MaxLogit() => Count == 0 ? float.NegativeInfinity : SortedCount > 0 ? _logits[0] : TensorPrimitives.Max(Logits);

    /// <summary>
    /// Fills <see cref="Probs"/> with the softmax of the candidate logits: exp(l − max) / Σ, in float as llama.cpp's
    /// softmax does (so cut-offs such as top-p land where its tests expect). Uses scalar <see cref="MathF.Exp"/> so a
    /// seeded draw does not change when a vectorised exp does.
    /// </summary>
    public void Softmax()
    {
        if (Count == 0) return;
        float max = MaxLogit();
        if (float.IsNegativeInfinity(max))
        {
            _probs.AsSpan(0, Count).Fill(1.0f / Count); // every candidate equally impossible: treat them as equally likely
            return;
        }
        float sum = 0;
        for (int i = 0; i < Count; i++)
        {
            float p = MathF.Exp(_logits[i] - max);
            _probs[i] = p;
            sum += p;
        }
        for (int i = 0; i < Count; i++) _probs[i] /= sum;
    }

    /// <summary>
    /// Moves the <paramref name="leading"/> best candidates to the front in descending logit order (ties: lower id
    /// first); the rest follow in no particular order. Probabilities are invalidated (call <see cref="Softmax"/> again).
    /// Costs O(Count) to select plus O(leading · log leading) to sort.
    /// </summary>
    public void SortDescending(int leading)
    {
        leading = Math.Min(leading, Count);
        if (leading <= SortedCount) return;
        Span<ulong> k = _keys.AsSpan(0, Count);
        for (int i = 0; i < k.Length; i++) k[i] = SortKey(_logits[i], _ids[i]);
        if (leading < k.Length) SelectSmallest(k, leading);
        k[..leading].Sort();
        for (int i = 0; i < k.Length; i++)
        {
            _ids[i] = (int)(uint)k[i];
            _logits[i] = LogitOfKey(k[i]);
        }
        SortedCount = leading;
        IsVocabularyOrder = false;
    }

    /// <summary>Divides every candidate logit by <paramref name="divisor"/> (&gt; 0, so the order is kept).</summary>
    public void DivideLogits(float divisor)
    {
        for (int i = 0; i < Count; i++) _logits[i] /= divisor;
    }

    /// <summary>Forgets the sorted prefix; call after changing logits through <see cref="Logits"/> in a way that may reorder them.</summary>
    public void MarkUnsorted() => SortedCount = 0;

    // Ascending order of the key = descending logit, then ascending id. The float bits are mapped to an unsigned
    // integer that orders like the float (negatives flipped), then inverted so larger logits sort first.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong SortKey(float logit, int id)
    {
        uint bits = BitConverter.SingleToUInt32Bits(logit);
        uint ordered = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
        return ((ulong)~ordered << 32) | (uint)id;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float LogitOfKey(ulong key)
    {
        uint ordered = ~(uint)(key >> 32);
        uint bits = (ordered & 0x8000_0000u) != 0 ? ordered & 0x7FFF_FFFFu : ~ordered;
        return BitConverter.UInt32BitsToSingle(bits);
    }

    // Quickselect (Hoare partition, median-of-three pivot): afterwards k[..n] holds the n smallest keys in any order.
    // Keys are unique (they contain the id), so there are no runs of equal keys to degrade it.
    private static void SelectSmallest(Span<ulong> k, int n)
    {
        int lo = 0, hi = k.Length - 1;
        while (hi > lo)
        {
            int mid = lo + ((hi - lo) >> 1);
            if (k[mid] < k[lo]) (k[mid], k[lo]) = (k[lo], k[mid]);
            if (k[hi] < k[lo]) (k[hi], k[lo]) = (k[lo], k[hi]);
            if (k[hi] < k[mid]) (k[hi], k[mid]) = (k[mid], k[hi]);
            ulong pivot = k[mid];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (k[i] < pivot) i++;
                while (k[j] > pivot) j--;
                if (i <= j)
                {
                    (k[i], k[j]) = (k[j], k[i]);
                    i++;
                    j--;
                }
            }
            // Now k[lo..j] <= pivot <= k[i..hi], and anything between j and i equals the pivot.
            if (n - 1 <= j) hi = j;
            else if (n - 1 >= i) lo = i;
            else return;
        }
    }

    private static void ThrowLengthMismatch(int found, int expected) =>
        throw new ArgumentException($"token candidates: expected {expected} logits (V), found {found}");
}
