// The k best items of a stream, kept in a bounded min-heap (the worst kept item on top).
namespace Quill.Search.Vectors;

/// <summary>
/// Keeps the <c>k</c> best <see cref="ScoredItem"/>s offered to it in O(log k) per offer and no allocation after
/// construction. Ties rank the smaller id first, so results do not depend on the order items are offered in.
/// </summary>
public sealed class TopK
{
    private readonly ScoredItem[] _heap;
    private int _count;

    public TopK(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        _heap = new ScoredItem[k];
    }

    public int Capacity => _heap.Length;

    public int Count => _count;

    /// <summary>True when <see cref="Capacity"/> items are held: a new item must beat <see cref="Worst"/> to get in.</summary>
    public bool IsFull => _count == _heap.Length;

    /// <summary>The lowest-ranked item held; only meaningful when <see cref="Count"/> &gt; 0.</summary>
    public ScoredItem Worst => _heap[0];

    public void Clear() => _count = 0;

    /// <summary>Keeps the item if fewer than k are held or it ranks above the worst one held.</summary>
    public void Offer(long id, float score)
    {
        var item = new ScoredItem(id, score);
        if (_count < _heap.Length)
        {
            int i = _count++;
            while (i > 0)
            {
                int parent = (i - 1) >> 1;
                if (!_heap[parent].RanksAbove(item)) break;
                _heap[i] = _heap[parent];
                i = parent;
            }
            _heap[i] = item;
        }
        else if (_count > 0 && item.RanksAbove(_heap[0]))
        {
            SiftDown(item);
        }
    }

    /// <summary>The items held, best first.</summary>
    public ScoredItem[] ToSortedArray()
    {
        var result = _heap.AsSpan(0, _count).ToArray();
        Array.Sort(result, static (x, y) => x.RanksAbove(y) ? -1 : y.RanksAbove(x) ? 1 : 0);
        return result;
    }

    private void SiftDown(ScoredItem item)
    {
        int i = 0;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= _count) break;
            if (child + 1 < _count && _heap[child].RanksAbove(_heap[child + 1])) child++;
            if (!item.RanksAbove(_heap[child])) break;
            _heap[i] = _heap[child];
            i = child;
        }
        _heap[i] = item;
    }
}
