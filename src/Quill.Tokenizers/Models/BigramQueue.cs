// The merge core of the BPE models of GGUF and tokenizer.json: llama.cpp's llm_bigram_* priority queue and the per-thread symbol list it merges.
namespace Quill.Tokenizers.Models;

/// <summary>A candidate merge of two adjacent symbols. <see cref="Size"/> is their combined length when queued.</summary>
internal struct Bigram
{
    public double Priority; // higher first: a SentencePiece score, or minus a merge rank
    public int Left;
    public int Right;
    public int Size;
    public int Result; // the merged piece, for byte-level BPE
}

/// <summary>
/// A binary max-heap of <see cref="Bigram"/> ordered by priority, ties going to the leftmost pair (as llama.cpp's
/// comparators do). Reused between calls; <see cref="Clear"/> keeps its storage.
/// </summary>
internal sealed class BigramQueue
{
    private Bigram[] _items = new Bigram[64];

    public int Count { get; private set; }

    public void Clear() => Count = 0;

    public void Push(in Bigram item)
    {
        if (Count == _items.Length) Array.Resize(ref _items, _items.Length * 2);
        int i = Count++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (!Before(item, _items[parent])) break;
            _items[i] = _items[parent];
            i = parent;
        }
        _items[i] = item;
    }

    public Bigram Pop()
    {
        Bigram top = _items[0];
        Bigram last = _items[--Count];
        int i = 0;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= Count) break;
            if (child + 1 < Count && Before(_items[child + 1], _items[child])) child++;
            if (!Before(_items[child], last)) break;
            _items[i] = _items[child];
            i = child;
        }
        if (Count > 0) _items[i] = last;
        return top;
    }

    private static bool Before(in Bigram a, in Bigram b) =>
        a.Priority > b.Priority || (a.Priority == b.Priority && a.Left < b.Left);
}

/// <summary>Per-thread scratch for one merge run: a doubly linked list of symbols over a piece of text, and the queue.</summary>
internal sealed class MergeScratch
{
    [ThreadStatic] private static MergeScratch? s_current;

    public int[] Start = new int[256];
    public int[] Length = new int[256];
    public int[] Prev = new int[256];
    public int[] Next = new int[256];
    public int[] Piece = new int[256];
    public readonly BigramQueue Queue = new();

    public static MergeScratch ForThread() => s_current ??= new MergeScratch();

    /// <summary>
    /// Links symbols 0..<paramref name="count"/>-1 (Start, Length and Piece already set) and applies
    /// <paramref name="merges"/> ((left piece, right piece) → (rank, result piece)) lowest rank first, leftmost on ties,
    /// until no adjacent pair merges. Afterwards the surviving symbols are the list from 0 along Next.
    /// </summary>
    public void MergeByRank(int count, Dictionary<long, (int Rank, int Result)> merges)
    {
        for (int i = 0; i < count; i++)
        {
            Prev[i] = i - 1;
            Next[i] = i + 1 == count ? -1 : i + 1;
        }
        Queue.Clear();
        for (int i = 1; i < count; i++) TryAddBigram(i - 1, i, merges);
        while (Queue.Count > 0)
        {
            Bigram bigram = Queue.Pop();
            int left = bigram.Left, right = bigram.Right;
            if (Length[left] == 0 || Length[right] == 0 || Length[left] + Length[right] != bigram.Size) continue;
            Piece[left] = bigram.Result;
            Length[left] += Length[right];
            Length[right] = 0;
            Next[left] = Next[right];
            if (Next[right] >= 0) Prev[Next[right]] = left;
            TryAddBigram(Prev[left], left, merges);
            TryAddBigram(left, Next[left], merges);
        }
    }

    /// <summary>The key of a (left piece, right piece) pair in a merge table.</summary>
    public static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    private void TryAddBigram(int left, int right, Dictionary<long, (int Rank, int Result)> merges)
    {
        if (left < 0 || right < 0) return;
        int leftPiece = Piece[left], rightPiece = Piece[right];
        if (leftPiece < 0 || rightPiece < 0) return;
        if (!merges.TryGetValue(PairKey(leftPiece, rightPiece), out var merge)) return;
        Queue.Push(new Bigram { Priority = -merge.Rank, Left = left, Right = right, Size = Length[left] + Length[right], Result = merge.Result });
    }

    public void EnsureCapacity(int symbols)
    {
        if (symbols <= Start.Length) return;
        int size = Math.Max(symbols, Start.Length * 2);
        Start = new int[size];
        Length = new int[size];
        Prev = new int[size];
        Next = new int[size];
        Piece = new int[size];
    }
}

/// <summary>
/// Hashes a merge-table key (two piece ids in one long) by multiplication: the default long hash XORs the halves, which
/// gives long collision chains for piece pairs.
/// </summary>
internal sealed class MergePairComparer : IEqualityComparer<long>
{
    public static readonly MergePairComparer Instance = new();

    public bool Equals(long x, long y) => x == y;

    public int GetHashCode(long value) => (int)(((ulong)value * 0x9E3779B97F4A7C15UL) >> 32);
}
