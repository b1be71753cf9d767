// The work queue of candidate merges shared by both BPE models (llama.cpp's llm_bigram_* priority_queue); not a general heap.
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
