// A byte trie over a few literal strings (labels, entity types, tags) for the task automata.
using System.Text;

namespace Quill.Tasks.Automata;

/// <summary>
/// The UTF-8 bytes of a set of strings as a trie: node 0 is the root, <see cref="Next"/> follows a byte,
/// <see cref="Value"/> says which string ends at a node (-1: none) and <see cref="Distance"/> the fewest bytes to a
/// node where one ends.
/// </summary>
internal sealed class LiteralTrie
{
    private readonly List<Dictionary<byte, int>> _children = [];
    private readonly List<int> _value = [];
    private readonly int[] _distance;

    public LiteralTrie(IReadOnlyList<string> literals)
    {
        ArgumentNullException.ThrowIfNull(literals);
        NewNode();
        for (int i = 0; i < literals.Count; i++)
        {
            int node = 0;
            foreach (byte b in Encoding.UTF8.GetBytes(literals[i]))
            {
                if (!_children[node].TryGetValue(b, out int child))
                {
                    child = NewNode();
                    _children[node][b] = child;
                }
                node = child;
            }
            if (_value[node] < 0) _value[node] = i;
        }
        _distance = new int[_value.Count];
        for (int node = _value.Count - 1; node >= 0; node--) _distance[node] = DistanceOf(node);
        Literals = literals;
    }

    public IReadOnlyList<string> Literals { get; }

    /// <summary>Fewest bytes from the root to the end of a literal.</summary>
    public int Shortest => _distance[0];

    /// <summary>The node after <paramref name="value"/>, or -1.</summary>
    public int Next(int node, byte value) => _children[node].TryGetValue(value, out int child) ? child : -1;

    /// <summary>Index of the literal that ends at <paramref name="node"/>, or -1.</summary>
    public int Value(int node) => _value[node];

    public int Distance(int node) => _distance[node];

    private int NewNode()
    {
        _children.Add([]);
        _value.Add(-1);
        return _value.Count - 1;
    }

    // Children are created after their parent, so walking nodes from the last one back sees every child first.
    private int DistanceOf(int node)
    {
        if (_value[node] >= 0) return 0;
        int best = int.MaxValue;
        foreach (int child in _children[node].Values) best = Math.Min(best, _distance[child] == int.MaxValue ? int.MaxValue : _distance[child] + 1);
        return best;
    }
}
