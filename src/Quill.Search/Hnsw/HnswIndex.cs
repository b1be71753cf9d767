// A hierarchical navigable small world graph over L2-normalised vectors, searched by cosine; not thread-safe, not the file format (HnswFile).
using System.Runtime.CompilerServices;
using Quill.Search.Vectors;

namespace Quill.Search.Hnsw;

/// <summary>
/// Approximate nearest neighbours by cosine similarity (Malkov &amp; Yashunin, "Efficient and robust approximate nearest
/// neighbor search using HNSW graphs", 2016): each node draws a level from a geometric distribution, links to its M most
/// useful neighbours per level (the paper's neighbour-selection heuristic, 2·M on layer 0), and a search descends
/// greedily from the top level, then keeps a beam of ef candidates on layer 0. Nodes carry a caller's 64-bit key (a
/// chunk id); removing a key leaves a tombstone that still routes searches but is never returned. Vectors must be
/// L2-normalised: the score is their dot product. One instance serves one thread at a time (searches reuse scratch).
/// </summary>
public sealed class HnswIndex
{
    /// <summary>Highest level a node may draw; with M ≥ 2 more than 24 levels needs ~2^24 nodes per level step.</summary>
    public const int MaxLevel = 24;

    /// <summary>Largest M accepted (layer 0 then holds 2·M links per node).</summary>
    public const int MaxM = 256;

    private readonly int _dims;
    private readonly int _m;
    private readonly int _m0;
    private readonly int _efConstruction;
    private readonly double _levelScale;
    private float[] _vectors;     // (N, D) row-major
    private long[] _keys;         // (N)
    private int[] _levels;        // (N)
    private bool[] _deleted;      // (N)
    private int[] _links0;        // (N, 1 + 2M): count, then neighbour nodes
    private int[]?[] _upper;      // (N) → (level, 1 + M) for nodes above layer 0
    private int _count;
    private int _deletedCount;
    private int _entry = -1;
    private int _topLevel = -1;
    private ulong _rng;
    private readonly Dictionary<long, int> _nodeOfKey = new();

    private int[] _visited = [];
    private int _visitStamp;
    private readonly PriorityQueue<int, float> _candidates = new();  // best first: priority = -score
    private readonly PriorityQueue<int, float> _results = new();     // worst first: priority = score
    private readonly List<ScoredNode> _layerResults = new();
    private readonly List<ScoredNode> _linkScratch = new();
    private readonly List<int> _selected = new();
    private readonly List<int> _kept = new();

    internal readonly record struct ScoredNode(int Node, float Score);

    public HnswIndex(int dimensions, HnswOptions? options = null)
    {
        options ??= new HnswOptions();
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        _dims = dimensions;
        _m = options.M;
        _m0 = 2 * options.M;
        _efConstruction = options.EfConstruction;
        _levelScale = 1.0 / Math.Log(options.M);
        _rng = options.Seed;
        _vectors = [];
        _keys = [];
        _levels = [];
        _deleted = [];
        _links0 = [];
        _upper = [];
    }

    /// <summary>Rebuilds an index from the arrays <see cref="HnswFile"/> read (already validated there).</summary>
    internal HnswIndex(int dimensions, int m, int efConstruction, ulong rngState, int count, float[] vectors, long[] keys,
        int[] levels, bool[] deleted, int[] links0, int[]?[] upper, int entry, int topLevel)
        : this(dimensions, new HnswOptions { M = m, EfConstruction = efConstruction })
    {
        _rng = rngState;
        _count = count;
        _vectors = vectors;
        _keys = keys;
        _levels = levels;
        _deleted = deleted;
        _links0 = links0;
        _upper = upper;
        _entry = entry;
        _topLevel = topLevel;
        for (int i = 0; i < count; i++)
        {
            if (deleted[i]) _deletedCount++;
            else _nodeOfKey[keys[i]] = i;
        }
    }

    public int Dimensions => _dims;

    public int M => _m;

    public int EfConstruction => _efConstruction;

    /// <summary>Nodes in the graph, tombstones included.</summary>
    public int NodeCount => _count;

    /// <summary>Keys that searches can return.</summary>
    public int Count => _count - _deletedCount;

    /// <summary>Removed keys whose nodes still route searches.</summary>
    public int DeletedCount => _deletedCount;

    /// <summary>The store generation this graph reflects (kept by the caller; saved with the graph).</summary>
    public long StoreGeneration { get; set; }

    public bool Contains(long key) => _nodeOfKey.ContainsKey(key);

    /// <summary>The keys searches can return, in insertion order.</summary>
    public IEnumerable<long> Keys
    {
        get
        {
            for (int i = 0; i < _count; i++)
                if (!_deleted[i]) yield return _keys[i];
        }
    }

    /// <summary>Inserts <paramref name="vector"/> (L2-normalised, <see cref="Dimensions"/> long) under a new key.</summary>
    public void Add(long key, ReadOnlySpan<float> vector)
    {
        if (vector.Length != _dims) throw new ArgumentException($"a vector of {_dims} floats expected, found {vector.Length}", nameof(vector));
        if (_nodeOfKey.ContainsKey(key)) throw new ArgumentException($"key {key} is already in the index", nameof(key));
        int node = NewNode(key, vector);
        _nodeOfKey[key] = node;
        int level = _levels[node];
        if (_entry < 0)
        {
            _entry = node;
            _topLevel = level;
            return;
        }
        ReadOnlySpan<float> q = Vector(node);
        int ep = _entry;
        float epScore = VectorDot.Dot(q, Vector(ep));
        for (int l = _topLevel; l > level; l--) ep = GreedyClosest(q, ep, ref epScore, l);

        _layerResults.Clear();
        _layerResults.Add(new ScoredNode(ep, epScore));
        for (int l = Math.Min(level, _topLevel); l >= 0; l--)
        {
            SearchLayer(q, _layerResults, _efConstruction, l, liveOnly: false);
            SelectNeighbours(_layerResults, _m, _selected);
            Span<int> links = Links(node, l);
            links[0] = _selected.Count;
            for (int i = 0; i < _selected.Count; i++) links[1 + i] = _selected[i];
            foreach (int neighbour in _selected) Connect(neighbour, node, l);
        }
        if (level > _topLevel)
        {
            _entry = node;
            _topLevel = level;
        }
    }

    /// <summary>Tombstones <paramref name="key"/>: later searches skip it. Returns false when the key is not present.</summary>
    public bool Remove(long key)
    {
        if (!_nodeOfKey.Remove(key, out int node)) return false;
        _deleted[node] = true;
        _deletedCount++;
        return true;
    }

    /// <summary>
    /// The <paramref name="k"/> keys most similar to <paramref name="query"/>, best first, scores being dot products.
    /// <paramref name="efSearch"/> (raised to k) trades speed for recall.
    /// </summary>
    public ScoredItem[] Search(ReadOnlySpan<float> query, int k, int efSearch)
    {
        if (query.Length != _dims) throw new ArgumentException($"a query of {_dims} floats expected, found {query.Length}", nameof(query));
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (_entry < 0 || k == 0 || Count == 0) return [];
        int ep = _entry;
        float epScore = VectorDot.Dot(query, Vector(ep));
        for (int l = _topLevel; l > 0; l--) ep = GreedyClosest(query, ep, ref epScore, l);
        _layerResults.Clear();
        _layerResults.Add(new ScoredNode(ep, epScore));
        SearchLayer(query, _layerResults, Math.Max(k, efSearch), 0, liveOnly: true);
        int n = Math.Min(k, _layerResults.Count);
        var result = new ScoredItem[n];
        for (int i = 0; i < n; i++) result[i] = new ScoredItem(_keys[_layerResults[i].Node], _layerResults[i].Score);
        return result;
    }

    // Raw state for HnswFile.
    internal ReadOnlySpan<float> RawVectors => _vectors.AsSpan(0, _count * _dims);
    internal ReadOnlySpan<long> RawKeys => _keys.AsSpan(0, _count);
    internal ReadOnlySpan<int> RawLevels => _levels.AsSpan(0, _count);
    internal ReadOnlySpan<bool> RawDeleted => _deleted.AsSpan(0, _count);
    internal ReadOnlySpan<int> RawLinks0 => _links0.AsSpan(0, _count * (_m0 + 1));
    internal int[]?[] RawUpper => _upper;
    internal int Entry => _entry;
    internal int TopLevel => _topLevel;
    internal ulong RngState => _rng;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<float> Vector(int node) => _vectors.AsSpan(node * _dims, _dims);

    /// <summary>The link block of a node on a level: [count, n1, …, nMax].</summary>
    private Span<int> Links(int node, int level) => level == 0
        ? _links0.AsSpan(node * (_m0 + 1), _m0 + 1)
        : _upper[node].AsSpan((level - 1) * (_m + 1), _m + 1);

    private int NewNode(long key, ReadOnlySpan<float> vector)
    {
        if (_count == _keys.Length) Grow();
        int node = _count++;
        vector.CopyTo(_vectors.AsSpan(node * _dims, _dims));
        _keys[node] = key;
        int level = DrawLevel();
        _levels[node] = level;
        _deleted[node] = false;
        _links0[node * (_m0 + 1)] = 0;
        _upper[node] = level > 0 ? new int[level * (_m + 1)] : null;
        return node;
    }

    private void Grow()
    {
        int capacity = Math.Max(16, _keys.Length * 2);
        Array.Resize(ref _vectors, capacity * _dims);
        Array.Resize(ref _keys, capacity);
        Array.Resize(ref _levels, capacity);
        Array.Resize(ref _deleted, capacity);
        Array.Resize(ref _links0, capacity * (_m0 + 1));
        Array.Resize(ref _upper, capacity);
    }

    private int DrawLevel()
    {
        // SplitMix64: a fixed generator so that a seed means the same graph on every runtime.
        ulong z = _rng += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        double uniform = ((z >> 11) + 1) * (1.0 / (1UL << 53));  // (0, 1]
        return (int)Math.Min(MaxLevel, -Math.Log(uniform) * _levelScale);
    }

    private int GreedyClosest(ReadOnlySpan<float> q, int ep, ref float epScore, int level)
    {
        bool moved = true;
        while (moved)
        {
            moved = false;
            Span<int> links = Links(ep, level);
            for (int i = 1; i <= links[0]; i++)
            {
                int candidate = links[i];
                float s = VectorDot.Dot(q, Vector(candidate));
                if (s > epScore)
                {
                    epScore = s;
                    ep = candidate;
                    moved = true;
                }
            }
        }
        return ep;
    }

    /// <summary>
    /// Beam search on one level from the nodes in <paramref name="entries"/>; leaves the best <paramref name="ef"/>
    /// found in <paramref name="entries"/>, best first. <paramref name="liveOnly"/> keeps tombstones out of the results
    /// while still walking through them.
    /// </summary>
    private void SearchLayer(ReadOnlySpan<float> q, List<ScoredNode> entries, int ef, int level, bool liveOnly)
    {
        int stamp = NextVisitStamp();
        _candidates.Clear();
        _results.Clear();
        foreach (ScoredNode e in entries)
        {
            _visited[e.Node] = stamp;
            _candidates.Enqueue(e.Node, -e.Score);
            if (!liveOnly || !_deleted[e.Node]) _results.Enqueue(e.Node, e.Score);
        }
        while (_results.Count > ef) _results.Dequeue();
        float lower = _results.TryPeek(out _, out float worst) ? worst : float.NegativeInfinity;
        while (_candidates.TryDequeue(out int current, out float negScore))
        {
            if (-negScore < lower && _results.Count >= ef) break;
            Span<int> links = Links(current, level);
            for (int i = 1; i <= links[0]; i++)
            {
                int next = links[i];
                if (_visited[next] == stamp) continue;
                _visited[next] = stamp;
                float s = VectorDot.Dot(q, Vector(next));
                if (_results.Count < ef || s > lower)
                {
                    _candidates.Enqueue(next, -s);
                    if (!liveOnly || !_deleted[next])
                    {
                        _results.Enqueue(next, s);
                        if (_results.Count > ef) _results.Dequeue();
                        _results.TryPeek(out _, out lower);
                    }
                }
            }
        }
        entries.Clear();
        while (_results.TryDequeue(out int node, out float score)) entries.Add(new ScoredNode(node, score));
        entries.Reverse();
    }

    /// <summary>
    /// The paper's heuristic (algorithm 4): walking candidates best first, keep one only if it is closer to the base
    /// than to every neighbour kept so far, so links spread in different directions instead of clustering.
    /// </summary>
    private void SelectNeighbours(List<ScoredNode> candidatesBestFirst, int max, List<int> selected)
    {
        selected.Clear();
        foreach (ScoredNode c in candidatesBestFirst)
        {
            if (selected.Count >= max) break;
            ReadOnlySpan<float> v = Vector(c.Node);
            bool diverse = true;
            foreach (int s in selected)
            {
                if (VectorDot.Dot(v, Vector(s)) > c.Score)
                {
                    diverse = false;
                    break;
                }
            }
            if (diverse) selected.Add(c.Node);
        }
    }

    /// <summary>Adds the back link neighbour → node, re-selecting the neighbour's links when it has too many.</summary>
    private void Connect(int neighbour, int node, int level)
    {
        Span<int> links = Links(neighbour, level);
        int max = links.Length - 1;
        int count = links[0];
        if (count < max)
        {
            links[1 + count] = node;
            links[0] = count + 1;
            return;
        }
        ReadOnlySpan<float> v = Vector(neighbour);
        _linkScratch.Clear();
        for (int i = 1; i <= count; i++) _linkScratch.Add(new ScoredNode(links[i], VectorDot.Dot(v, Vector(links[i]))));
        _linkScratch.Add(new ScoredNode(node, VectorDot.Dot(v, Vector(node))));
        _linkScratch.Sort(static (a, b) => b.Score.CompareTo(a.Score) is var c && c != 0 ? c : a.Node.CompareTo(b.Node));
        SelectNeighbours(_linkScratch, max, _kept);
        links[0] = _kept.Count;
        for (int i = 0; i < _kept.Count; i++) links[1 + i] = _kept[i];
    }

    private int NextVisitStamp()
    {
        if (_visited.Length < _count)
        {
            _visited = new int[Math.Max(_keys.Length, _count)];
            _visitStamp = 0;
        }
        if (++_visitStamp == int.MaxValue)
        {
            Array.Clear(_visited);
            _visitStamp = 1;
        }
        return _visitStamp;
    }
}
