// Text being normalized and pre-tokenized, with each char's range in the original input.
namespace Quill.Tokenizers.Pipeline;

/// <summary>
/// Hugging Face's NormalizedString, reduced to what offsets need: the current chars and, for each, the [start, end)
/// range of the original input it came from. Stages rewrite it char by char: <see cref="BeginRewrite"/>, then
/// <see cref="Append(char, int)"/> each output char naming the current char it came from (or
/// <see cref="AppendInserted"/> for a char with no source, such as a prepended '▁'), then <see cref="EndRewrite"/>.
/// After a rewrite <see cref="MapIndex"/> tells where an old index went, so pre-token ranges can follow. Reused per
/// thread; not thread-safe.
/// </summary>
public sealed class NormalizedText
{
    private char[] _chars = new char[256];
    private int[] _starts = new int[256];
    private int[] _ends = new int[256];
    private char[] _nextChars = new char[256];
    private int[] _nextStarts = new int[256];
    private int[] _nextEnds = new int[256];
    private int[] _remap = new int[257];
    private int _nextLength;
    private int _originalEnd;
    private bool _rewriting;

    public int Length { get; private set; }

    public ReadOnlySpan<char> Text => _chars.AsSpan(0, Length);

    /// <summary>Starts over with <paramref name="original"/>, whose first char is at <paramref name="offset"/> in the whole input.</summary>
    public void Reset(ReadOnlySpan<char> original, int offset)
    {
        EnsureCurrent(original.Length);
        original.CopyTo(_chars);
        for (int i = 0; i < original.Length; i++)
        {
            _starts[i] = offset + i;
            _ends[i] = offset + i + 1;
        }
        // A surrogate pair is one character: both halves cover both units.
        for (int i = 0; i + 1 < original.Length; i++)
        {
            if (char.IsHighSurrogate(original[i]) && char.IsLowSurrogate(original[i + 1]))
            {
                _ends[i] = offset + i + 2;
                _starts[i + 1] = offset + i;
                i++;
            }
        }
        Length = original.Length;
        _originalEnd = offset + original.Length;
        _rewriting = false;
    }

    /// <summary>Where in the original input char <paramref name="index"/> starts (the input's end for <c>index == Length</c>).</summary>
    public int OriginalStart(int index) => index < Length ? _starts[index] : Length > 0 ? _ends[Length - 1] : _originalEnd;

    /// <summary>Where in the original input char <paramref name="index"/> ends.</summary>
    public int OriginalEnd(int index) => index < Length ? _ends[index] : _originalEnd;

    /// <summary>The original range that normalized chars [start, end) cover (empty at start when end == start).</summary>
    public (int Start, int End) OriginalRange(int start, int end)
    {
        if (end <= start) return (OriginalStart(start), OriginalStart(start));
        int from = _starts[start], to = _ends[start];
        for (int i = start + 1; i < end; i++)
        {
            from = Math.Min(from, _starts[i]);
            to = Math.Max(to, _ends[i]);
        }
        return (from, to);
    }

    public void BeginRewrite()
    {
        if (_rewriting) throw new InvalidOperationException("a rewrite is already in progress");
        _rewriting = true;
        _nextLength = 0;
        if (_remap.Length < Length + 1) _remap = new int[Math.Max(Length + 1, _remap.Length * 2)];
        _remap.AsSpan(0, Length + 1).Fill(-1);
    }

    /// <summary>Appends <paramref name="c"/>, which came from current char <paramref name="source"/>.</summary>
    public void Append(char c, int source)
    {
        if (_remap[source] < 0) _remap[source] = _nextLength;
        Push(c, _starts[source], _ends[source]);
    }

    /// <summary>Appends <paramref name="c"/>, which came from current chars <paramref name="firstSource"/>..<paramref name="lastSource"/> together (a composed
    /// or replaced run).</summary>
    public void Append(char c, int firstSource, int lastSource)
    {
        if (_remap[firstSource] < 0) _remap[firstSource] = _nextLength;
        int start = _starts[firstSource], end = _ends[firstSource];
        for (int i = firstSource + 1; i <= lastSource; i++)
        {
            start = Math.Min(start, _starts[i]);
            end = Math.Max(end, _ends[i]);
        }
        Push(c, start, end);
    }

    /// <summary>Appends every char of <paramref name="text"/> as coming from current char <paramref name="source"/>.</summary>
    public void Append(ReadOnlySpan<char> text, int source)
    {
        foreach (char c in text) Append(c, source);
    }

    /// <summary>Appends a char that no input char produced, placed just before current char <paramref name="before"/> (zero-width).</summary>
    public void AppendInserted(char c, int before)
    {
        int at = OriginalStart(before);
        Push(c, at, at);
    }

    public void EndRewrite()
    {
        if (!_rewriting) throw new InvalidOperationException("no rewrite in progress");
        // Old indexes that produced nothing map to the next one that did; the end maps to the new end.
        _remap[Length] = _nextLength;
        for (int i = Length - 1; i >= 0; i--)
        {
            if (_remap[i] < 0) _remap[i] = _remap[i + 1];
        }
        (_chars, _nextChars) = (_nextChars, _chars);
        (_starts, _nextStarts) = (_nextStarts, _starts);
        (_ends, _nextEnds) = (_nextEnds, _ends);
        Length = _nextLength;
        _rewriting = false;
    }

    /// <summary>After a rewrite: the new index of what was at old index <paramref name="oldIndex"/> (old Length maps to new Length).</summary>
    public int MapIndex(int oldIndex) => _remap[oldIndex];

    private void Push(char c, int start, int end)
    {
        if (_nextLength == _nextChars.Length)
        {
            int capacity = _nextChars.Length * 2;
            Array.Resize(ref _nextChars, capacity);
            Array.Resize(ref _nextStarts, capacity);
            Array.Resize(ref _nextEnds, capacity);
        }
        _nextChars[_nextLength] = c;
        _nextStarts[_nextLength] = start;
        _nextEnds[_nextLength] = end;
        _nextLength++;
    }

    private void EnsureCurrent(int length)
    {
        if (_chars.Length >= length) return;
        int capacity = Math.Max(length, _chars.Length * 2);
        _chars = new char[capacity];
        _starts = new int[capacity];
        _ends = new int[capacity];
    }
}
