// tiktoken's byte-pair merge (the lowest-ranked adjacent pair first, leftmost on ties); its own engine, not the BigramQueue the other BPE models share.
namespace Quill.Tokenizers.Tiktoken;

/// <summary>
/// Merges one word's bytes into tokens exactly as tiktoken's <c>_byte_pair_merge</c>: the pair with the lowest rank
/// goes first, the leftmost of equal ranks. Short words scan the parts each step (<see cref="MergeShort"/>); long ones
/// keep candidate pairs in a heap (<see cref="MergeLong"/>), which picks the same pair at every step. Scratch arrays
/// come from the caller and grow once; nothing is allocated once warm. Not thread-safe: one scratch per thread.
/// </summary>
internal sealed class BytePairMerger
{
    /// <summary>Words up to this many bytes take the quadratic scan, which is faster than the heap on short words.</summary>
    public const int ShortWordBytes = 64;

    private int[] _starts = new int[64];
    private int[] _pairRanks = new int[64];
    private int[] _partIds = new int[64];
    private int[] _next = new int[64];
    private int[] _prev = new int[64];
    private readonly PriorityQueue<int, ulong> _heap = new();

    /// <summary>
    /// Splits <paramref name="word"/> (at least one byte; every single byte has a rank) into tokens; writes their ids and
    /// byte ends into <paramref name="ids"/> and <paramref name="ends"/> (word.Length entries each); returns how many.
    /// </summary>
    public int Merge(TiktokenRanks ranks, ReadOnlySpan<byte> word, Span<int> ids, Span<int> ends) =>
        word.Length <= ShortWordBytes ? MergeShort(ranks, word, ids, ends) : MergeLong(ranks, word, ids, ends);

    public int MergeShort(TiktokenRanks ranks, ReadOnlySpan<byte> word, Span<int> ids, Span<int> ends)
    {
        int n = word.Length;
        Grow(n + 1);
        Span<int> starts = _starts.AsSpan(0, n + 1);
        Span<int> pairRanks = _pairRanks.AsSpan(0, n);
        Span<int> partIds = _partIds.AsSpan(0, n);
        for (int i = 0; i <= n; i++) starts[i] = i;
        for (int i = 0; i < n; i++) partIds[i] = ranks.SingleByteRank(word[i]);
        for (int i = 0; i + 1 < n; i++) pairRanks[i] = RankOrMax(ranks, word[i..(i + 2)]);

        int parts = n;
        while (parts > 1)
        {
            int best = int.MaxValue;
            int at = -1;
            for (int i = 0; i + 1 < parts; i++)
            {
                if (pairRanks[i] < best)
                {
                    best = pairRanks[i];
                    at = i;
                }
            }
            if (at < 0) break;

            partIds[at] = best;
            starts[(at + 2)..(parts + 1)].CopyTo(starts[(at + 1)..]);
            partIds[(at + 2)..parts].CopyTo(partIds[(at + 1)..]);
            if (at + 2 < parts) pairRanks[(at + 2)..(parts - 1)].CopyTo(pairRanks[(at + 1)..]);
            parts--;
            if (at + 1 < parts) pairRanks[at] = RankOrMax(ranks, word[starts[at]..starts[at + 2]]);
            if (at > 0) pairRanks[at - 1] = RankOrMax(ranks, word[starts[at - 1]..starts[at + 1]]);
        }

        for (int i = 0; i < parts; i++)
        {
            ids[i] = partIds[i];
            ends[i] = starts[i + 1];
        }
        return parts;
    }

    public int MergeLong(TiktokenRanks ranks, ReadOnlySpan<byte> word, Span<int> ids, Span<int> ends)
    {
        const int Dead = -1;
        int n = word.Length;
        Grow(n + 1);
        int[] next = _next, prev = _prev, partIds = _partIds;
        PriorityQueue<int, ulong> heap = _heap;
        heap.Clear();
        for (int i = 0; i < n; i++)
        {
            next[i] = i + 1;
            prev[i] = i - 1;
            partIds[i] = ranks.SingleByteRank(word[i]);
        }
        for (int i = 0; i + 1 < n; i++) Push(heap, ranks, word, i, i + 2);

        while (heap.TryDequeue(out int end, out ulong key))
        {
            int start = (int)(uint)key;
            int mid = next[start];
            if (mid == Dead || mid >= n || mid == end || next[mid] != end) continue; // a stale pair

            partIds[start] = (int)(key >> 32);
            next[start] = end;
            next[mid] = Dead;
            if (end < n) prev[end] = start;
            if (start > 0) Push(heap, ranks, word, prev[start], end);
            if (end < n) Push(heap, ranks, word, start, next[end]);
        }

        int count = 0;
        for (int start = 0; start < n; start = next[start])
        {
            ids[count] = partIds[start];
            ends[count++] = next[start];
        }
        return count;
    }

    private static void Push(PriorityQueue<int, ulong> heap, TiktokenRanks ranks, ReadOnlySpan<byte> word, int start, int end)
    {
        int rank = ranks.Find(word[start..end]);
        if (rank != TiktokenRanks.None) heap.Enqueue(end, ((ulong)(uint)rank << 32) | (uint)start);
    }

    private static int RankOrMax(TiktokenRanks ranks, ReadOnlySpan<byte> pair)
    {
        int rank = ranks.Find(pair);
        return rank == TiktokenRanks.None ? int.MaxValue : rank;
    }

    private void Grow(int needed)
    {
        if (_starts.Length >= needed) return;
        int size = Math.Max(needed, _starts.Length * 2);
        _starts = new int[size];
        _pairRanks = new int[size];
        _partIds = new int[size];
        _next = new int[size];
        _prev = new int[size];
    }
}
