// An IByteAutomaton whose states are value keys, numbered on first sight, with transitions and costs memoized.
using Quill.Generation.Constraints;

namespace Quill.Tasks.Automata;

/// <summary>
/// Base of the task automata: a subclass describes states as value keys (<typeparamref name="TKey"/>), how a byte moves
/// between them and the bytes to the nearest accepting state; this class numbers the keys and memoizes both, so the
/// vocabulary walk of a constraint pays for each (state, byte) pair once. States from which nothing is accepted are
/// never entered (their step is -1).
/// </summary>
internal abstract class InternedAutomaton<TKey> : IByteAutomaton where TKey : struct, IEquatable<TKey>
{
    private readonly Dictionary<TKey, int> _ids = [];
    private readonly List<TKey> _keys = [];
    private readonly List<int> _costs = [];
    private readonly Dictionary<long, int> _steps = [];
    private int _start = -1;

    public int Start => _start >= 0 ? _start : _start = Intern(StartKey);

    public int Step(int state, byte value)
    {
        long slot = ((long)state << 8) | value;
        if (_steps.TryGetValue(slot, out int next)) return next;
        next = TryStep(_keys[state], value, out TKey key) ? Intern(key) : -1;
        if (next >= 0 && _costs[next] == int.MaxValue) next = -1;
        _steps[slot] = next;
        return next;
    }

    public int Cost(int state) => _costs[state];

    /// <summary>The key of a state this automaton numbered.</summary>
    public TKey KeyOf(int state) => _keys[state];

    protected abstract TKey StartKey { get; }

    protected abstract bool TryStep(in TKey key, byte value, out TKey next);

    /// <summary>Bytes to the nearest accepting state (0: accepting; int.MaxValue: none reachable).</summary>
    protected abstract int CostOf(in TKey key);

    private int Intern(TKey key)
    {
        if (_ids.TryGetValue(key, out int id)) return id;
        id = _keys.Count;
        _keys.Add(key);
        _costs.Add(CostOf(key));
        _ids[key] = id;
        return id;
    }
}
