// The growable output of an encoder: ids with their input offsets, reused across calls; not thread-safe, not a result type.
namespace Quill.Tokenizers;

/// <summary>
/// Where tokenizer stages write tokens: each id with its [start, end) range in the input (UTF-16 units). One buffer is
/// reused per thread by <see cref="Tokenizer"/>, so encoding allocates nothing once the buffer has grown.
/// </summary>
public sealed class TokenBuffer
{
    private int[] _ids;
    private int[] _starts;
    private int[] _ends;

    public TokenBuffer(int capacity = 64)
    {
        capacity = Math.Max(capacity, 4);
        _ids = new int[capacity];
        _starts = new int[capacity];
        _ends = new int[capacity];
    }

    public int Count { get; private set; }

    public ReadOnlySpan<int> Ids => _ids.AsSpan(0, Count);

    public ReadOnlySpan<int> Starts => _starts.AsSpan(0, Count);

    public ReadOnlySpan<int> Ends => _ends.AsSpan(0, Count);

    public EncodedToken this[int index] =>
        (uint)index < (uint)Count ? new EncodedToken(_ids[index], _starts[index], _ends[index]) : throw new ArgumentOutOfRangeException(nameof(index));

    public void Clear() => Count = 0;

    public void Add(int id, int start, int end)
    {
        if (Count == _ids.Length) Grow(Count + 1);
        _ids[Count] = id;
        _starts[Count] = start;
        _ends[Count] = end;
        Count++;
    }

    /// <summary>Inserts a token at <paramref name="index"/> (post-processors adding [CLS], BOS).</summary>
    public void Insert(int index, int id, int start, int end)
    {
        if ((uint)index > (uint)Count) throw new ArgumentOutOfRangeException(nameof(index));
        if (Count == _ids.Length) Grow(Count + 1);
        int tail = Count - index;
        Array.Copy(_ids, index, _ids, index + 1, tail);
        Array.Copy(_starts, index, _starts, index + 1, tail);
        Array.Copy(_ends, index, _ends, index + 1, tail);
        _ids[index] = id;
        _starts[index] = start;
        _ends[index] = end;
        Count++;
    }

    /// <summary>Drops every token from <paramref name="count"/> on.</summary>
    public void Truncate(int count)
    {
        if ((uint)count > (uint)Count) throw new ArgumentOutOfRangeException(nameof(count));
        Count = count;
    }

    /// <summary>Adds <paramref name="delta"/> to the offsets of tokens <paramref name="from"/>..Count (a stage that worked on a slice).</summary>
    public void ShiftOffsets(int from, int delta)
    {
        for (int i = from; i < Count; i++)
        {
            _starts[i] += delta;
            _ends[i] += delta;
        }
    }

    /// <summary>Sets the offsets of token <paramref name="index"/>.</summary>
    public void SetOffsets(int index, int start, int end)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index));
        _starts[index] = start;
        _ends[index] = end;
    }

    private void Grow(int needed)
    {
        int capacity = Math.Max(needed, _ids.Length * 2);
        Array.Resize(ref _ids, capacity);
        Array.Resize(ref _starts, capacity);
        Array.Resize(ref _ends, capacity);
    }
}
