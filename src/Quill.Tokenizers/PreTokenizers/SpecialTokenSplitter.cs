// Cuts special-token texts out of the input before the model runs (llama.cpp's tokenizer_st_partition).
using System.Buffers;

namespace Quill.Tokenizers.PreTokenizers;

/// <summary>A piece of the input: either a special token (<see cref="TokenId"/> &gt;= 0) or a run of plain text.</summary>
internal readonly record struct Fragment(int TokenId, int Start, int Length)
{
    public bool IsText => TokenId < 0;
}

/// <summary>
/// Control, user-defined and unknown tokens are taken out of the text longest text first, each at its leftmost
/// non-overlapping occurrences inside what is still plain text; without parseSpecial only user-defined ones are.
/// Occurrences are found in one pass with a trie and then replayed in llama.cpp's order, which gives the same
/// fragments as its token-by-token search without a pass over the text per special token.
/// </summary>
internal sealed class SpecialTokenSplitter
{
    private const int Root = 0;

    private readonly TokenTable _table;
    private readonly int[] _order;              // special ids, longest text first (ties by id)
    private readonly int[] _rankOf;             // id -> index in _order, or -1
    private readonly Dictionary<long, int> _edges = []; // (node << 16 | char) -> node
    private readonly List<int> _terminal = [-1];          // node -> special id ending there, or -1
    private readonly bool[] _firstChars = new bool[65536];

    public SpecialTokenSplitter(TokenTable table)
    {
        _table = table;
        const TokenAttributes special = TokenAttributes.Control | TokenAttributes.UserDefined | TokenAttributes.Unknown;
        var ids = new List<int>();
        for (int id = 0; id < table.Count; id++)
        {
            if ((table.Attributes[id] & special) != 0) ids.Add(id);
        }
        _order = [.. ids.OrderByDescending(id => table.Texts[id].Length).ThenBy(id => id)];
        _rankOf = new int[table.Count];
        _rankOf.AsSpan().Fill(-1);
        for (int rank = 0; rank < _order.Length; rank++)
        {
            int id = _order[rank];
            _rankOf[id] = rank;
            Insert(table.Texts[id], id);
        }
    }

    public void Split(ReadOnlySpan<char> text, bool parseSpecial, List<Fragment> fragments)
    {
        if (text.IsEmpty) return;
        List<(int Rank, int Position)>? found = FindOccurrences(text, parseSpecial);
        if (found is null)
        {
            fragments.Add(new Fragment(-1, 0, text.Length));
            return;
        }
        found.Sort();

        // marks: 0 = plain text, id + 1 = a special token starts here, -1 = inside one
        int[] marks = ArrayPool<int>.Shared.Rent(text.Length);
        try
        {
            Array.Clear(marks, 0, text.Length);
            foreach ((int rank, int position) in found)
            {
                int id = _order[rank];
                int length = _table.Texts[id].Length;
                if (marks.AsSpan(position, length).ContainsAnyExcept(0)) continue;
                marks[position] = id + 1;
                marks.AsSpan(position + 1, length - 1).Fill(-1);
            }

            int runStart = 0;
            for (int i = 0; i < text.Length;)
            {
                int mark = marks[i];
                if (mark <= 0)
                {
                    i++;
                    continue;
                }
                if (i > runStart) fragments.Add(new Fragment(-1, runStart, i - runStart));
                int id = mark - 1;
                fragments.Add(new Fragment(id, i, _table.Texts[id].Length));
                i += _table.Texts[id].Length;
                runStart = i;
            }
            if (text.Length > runStart) fragments.Add(new Fragment(-1, runStart, text.Length - runStart));
        }
        finally
        {
            ArrayPool<int>.Shared.Return(marks);
        }
    }

    private List<(int Rank, int Position)>? FindOccurrences(ReadOnlySpan<char> text, bool parseSpecial)
    {
        List<(int, int)>? found = null;
        for (int start = 0; start < text.Length; start++)
        {
            if (!_firstChars[text[start]]) continue;
            int node = Root;
            for (int i = start; i < text.Length; i++)
            {
                if (!_edges.TryGetValue(((long)node << 16) | text[i], out node)) break;
                int id = _terminal[node];
                if (id < 0) continue;
                bool allowed = parseSpecial || !_table.Has(id, TokenAttributes.Control | TokenAttributes.Unknown);
                if (allowed) (found ??= []).Add((_rankOf[id], start));
            }
        }
        return found;
    }

    private void Insert(string text, int id)
    {
        _firstChars[text[0]] = true;
        int node = Root;
        foreach (char c in text)
        {
            long key = ((long)node << 16) | c;
            if (!_edges.TryGetValue(key, out int child))
            {
                child = _terminal.Count;
                _terminal.Add(-1);
                _edges.Add(key, child);
            }
            node = child;
        }
        _terminal[node] = id;
    }
}
