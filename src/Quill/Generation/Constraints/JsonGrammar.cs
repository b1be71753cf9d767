// The compiled form of a JSON constraint: a graph of value nodes with their shortest-completion tables.
namespace Quill.Generation.Constraints;

/// <summary>What kind of JSON value a <see cref="JsonNode"/> stands for.</summary>
internal enum JsonNodeKind : byte
{
    /// <summary>The document: an optional run of whitespace, then one value of <see cref="JsonNode.Child"/>.</summary>
    Root,
    /// <summary>One of several nodes (<see cref="JsonNode.Alternatives"/>); never a frame of its own.</summary>
    AnyOf,
    Object,
    Array,
    String,
    Number,
    /// <summary>One of a fixed set of byte strings (enum, const, true/false/null).</summary>
    Literal,
}

/// <summary>
/// One node of a <see cref="JsonGrammar"/>. A single class with per-kind fields (rather than a hierarchy) so the
/// recognizer's inner loop switches on <see cref="Kind"/> without type checks. Costs are bytes of the shortest text.
/// </summary>
internal sealed class JsonNode
{
    public JsonNodeKind Kind;

    /// <summary>The non-AnyOf nodes a value of this node may start as: [this] unless <see cref="Kind"/> is AnyOf.</summary>
    public int[] Alternatives = [];

    /// <summary>Bytes of the shortest complete value of this node (<see cref="JsonGrammar.Unreachable"/> when none is finite).</summary>
    public int MinBytes = JsonGrammar.Unreachable;

    // Root: the value node.
    public int Child = -1;

    // Object with listed properties (in schema order): quoted key bytes, value node and whether required.
    public byte[][] Keys = [];
    public int[] Values = [];
    public bool[] Required = [];
    /// <summary>(P+1) smallest required property index ≥ s, or P when none is left.</summary>
    public int[] FirstRequiredFrom = [];
    /// <summary>(P+1) bytes to close the object once properties before s are done: required ones from s, commas, '}'.</summary>
    public int[] TailFrom = [];
    /// <summary>(P) bytes from the start of property j's key to the end of the object: key, ':', value, tail.</summary>
    public int[] KeyCost = [];
    /// <summary>(P+1) bytes from just after a comma when properties before s are done: the cheapest next property.</summary>
    public int[] CommaCost = [];
    /// <summary>Object with free keys (no listed properties): any string key, values of <see cref="FreeValue"/>.</summary>
    public bool FreeKeys;
    public int FreeValue = -1;
    /// <summary>The plain string node that free keys are read as.</summary>
    public int KeyString = -1;

    // Array.
    public int Item = -1;
    public int MinItems;
    public int MaxItems = int.MaxValue;

    // String: length limits in characters (a surrogate-pair escape counts as one).
    public int MinLength;
    public int MaxLength = int.MaxValue;

    // Number.
    public bool IntegerOnly;

    // Literal: the allowed texts, sorted ordinally and distinct, so the texts sharing a prefix are contiguous.
    public byte[][] Literals = [];

    public int PropertyCount => Keys.Length;
}

/// <summary>
/// A JSON constraint compiled to nodes (from a schema by <see cref="JsonSchemaCompiler"/>, or <see cref="AnyObject"/>):
/// node <see cref="Root"/> is the document. <see cref="Seal"/> resolves alternatives and computes the cost tables
/// the recognizer uses to keep a completion within the token budget.
/// </summary>
internal sealed class JsonGrammar
{
    /// <summary>The cost of something that cannot be completed; small enough that two of them add without overflow.</summary>
    public const int Unreachable = 1 << 28;

    private readonly List<JsonNode> _nodes = [];

    public JsonNode[] Nodes { get; private set; } = [];
    public int Root { get; private set; } = -1;

    public int Add(JsonNode node)
    {
        _nodes.Add(node);
        return _nodes.Count - 1;
    }

    /// <summary>Reserves an id to fill later (a $ref compiled while it is being defined).</summary>
    public int Reserve() => Add(new JsonNode { Kind = JsonNodeKind.AnyOf });

    public void Set(int id, JsonNode node) => _nodes[id] = node;

    public JsonNode this[int id] => _nodes[id];

    public static int Add(int a, int b) => Math.Min(a + b, Unreachable);

    public static int Multiply(int count, int bytes) => (int)Math.Min((long)count * bytes, Unreachable);

    /// <summary>Adds the nodes of "any JSON value" and returns its id (nesting is bounded by the recognizer).</summary>
    public int AddAnyValue()
    {
        int any = Reserve();
        int text = Add(new JsonNode { Kind = JsonNodeKind.String });
        int obj = Add(new JsonNode { Kind = JsonNodeKind.Object, FreeKeys = true, FreeValue = any, KeyString = text });
        int array = Add(new JsonNode { Kind = JsonNodeKind.Array, Item = any });
        int number = Add(new JsonNode { Kind = JsonNodeKind.Number });
        int words = Add(LiteralNode(["true"u8.ToArray(), "false"u8.ToArray(), "null"u8.ToArray()]));
        Set(any, new JsonNode { Kind = JsonNodeKind.AnyOf, Alternatives = [obj, array, text, number, words] });
        return any;
    }

    /// <summary>A literal node over <paramref name="texts"/> (sorted and deduplicated here).</summary>
    public static JsonNode LiteralNode(IEnumerable<byte[]> texts)
    {
        var sorted = new List<byte[]>();
        foreach (byte[] text in texts.Order(ByteStringComparer.Instance))
        {
            if (sorted.Count == 0 || !sorted[^1].AsSpan().SequenceEqual(text)) sorted.Add(text);
        }
        return new JsonNode { Kind = JsonNodeKind.Literal, Literals = [.. sorted] };
    }

    /// <summary>Any JSON object (OpenAI's json_object mode).</summary>
    public static JsonGrammar AnyObject()
    {
        var grammar = new JsonGrammar();
        int any = grammar.AddAnyValue();
        int text = grammar[any].Alternatives[2];
        int obj = grammar.Add(new JsonNode { Kind = JsonNodeKind.Object, FreeKeys = true, FreeValue = any, KeyString = text });
        grammar.Seal(obj);
        return grammar;
    }

    /// <summary>
    /// Finishes the grammar with <paramref name="valueNode"/> as the document's value: flattens AnyOf alternatives
    /// (dropping those with no finite value), then computes the shortest-completion tables. Throws
    /// <see cref="ArgumentException"/> for an AnyOf that contains itself or a document with no finite value.
    /// </summary>
    public void Seal(int valueNode)
    {
        Root = Add(new JsonNode { Kind = JsonNodeKind.Root, Child = valueNode });
        Nodes = [.. _nodes];
        for (int i = 0; i < Nodes.Length; i++) Flatten(i, new HashSet<int>());
        ComputeMinBytes();
        if (Nodes[Root].MinBytes >= Unreachable) ThrowArgument("the schema admits no finite JSON value");
        foreach (JsonNode node in Nodes)
        {
            node.Alternatives = [.. node.Alternatives.Where(a => Nodes[a].MinBytes < Unreachable)];
            if (node.Kind == JsonNodeKind.Object && !node.FreeKeys) ComputeObjectTables(node);
        }
    }

    private int[] Flatten(int id, HashSet<int> visiting)
    {
        JsonNode node = Nodes[id];
        if (node.Kind != JsonNodeKind.AnyOf)
        {
            node.Alternatives = [id];
            return node.Alternatives;
        }
        if (!visiting.Add(id)) ThrowArgument("a $ref or anyOf leads back to itself without an object or array in between");
        var flat = new List<int>();
        foreach (int alternative in node.Alternatives)
        {
            foreach (int leaf in Flatten(alternative, visiting)) if (!flat.Contains(leaf)) flat.Add(leaf);
        }
        visiting.Remove(id);
        node.Alternatives = [.. flat];
        return node.Alternatives;
    }

    private void ComputeMinBytes()
    {
        // Costs only fall; iterate to the fixed point, which recursion through $ref needs.
        for (bool changed = true; changed;)
        {
            changed = false;
            foreach (JsonNode node in Nodes)
            {
                int cost = MinBytesOf(node);
                if (cost < node.MinBytes)
                {
                    node.MinBytes = cost;
                    changed = true;
                }
            }
        }
    }

    private int MinBytesOf(JsonNode node)
    {
        switch (node.Kind)
        {
            case JsonNodeKind.Root: return Nodes[node.Child].MinBytes;
            case JsonNodeKind.AnyOf:
                int best = Unreachable;
                foreach (int a in node.Alternatives) best = Math.Min(best, Nodes[a].MinBytes);
                return best;
            case JsonNodeKind.Object:
                if (node.FreeKeys) return 2;
                int total = 2, required = 0;
                for (int j = 0; j < node.PropertyCount; j++)
                {
                    if (!node.Required[j]) continue;
                    total = Add(total, Add(node.Keys[j].Length + 1, Nodes[node.Values[j]].MinBytes));
                    required++;
                }
                return Add(total, Math.Max(0, required - 1));
            case JsonNodeKind.Array:
                if (node.MinItems == 0) return 2;
                return Add(2, Add(Multiply(node.MinItems, Nodes[node.Item].MinBytes), node.MinItems - 1));
            case JsonNodeKind.String: return Add(2, node.MinLength);
            case JsonNodeKind.Number: return 1;
            case JsonNodeKind.Literal:
                int shortest = Unreachable;
                foreach (byte[] text in node.Literals) shortest = Math.Min(shortest, text.Length);
                return shortest;
            default: throw new InvalidOperationException($"json grammar: unknown node kind {node.Kind}");
        }
    }

    private void ComputeObjectTables(JsonNode node)
    {
        int count = node.PropertyCount;
        node.FirstRequiredFrom = new int[count + 1];
        node.TailFrom = new int[count + 1];
        node.KeyCost = new int[count];
        node.CommaCost = new int[count + 1];
        node.FirstRequiredFrom[count] = count;
        // From s > 0 every remaining required property needs a comma; from s = 0 (just after '{') the first does not.
        int tail = 1, requiredAfter = 0;
        node.TailFrom[count] = 1;
        for (int s = count - 1; s >= 0; s--)
        {
            node.FirstRequiredFrom[s] = node.Required[s] ? s : node.FirstRequiredFrom[s + 1];
            if (node.Required[s])
            {
                tail = Add(tail, Add(1 + node.Keys[s].Length + 1, Nodes[node.Values[s]].MinBytes));
                requiredAfter++;
            }
            node.TailFrom[s] = tail;
        }
        if (requiredAfter > 0) node.TailFrom[0] = tail - 1;
        for (int j = 0; j < count; j++)
        {
            node.KeyCost[j] = Add(node.Keys[j].Length + 1, Add(Nodes[node.Values[j]].MinBytes, node.TailFrom[j + 1]));
        }
        for (int s = 0; s <= count; s++)
        {
            int best = Unreachable;
            for (int j = s; j <= Math.Min(node.FirstRequiredFrom[s], count - 1); j++) best = Math.Min(best, node.KeyCost[j]);
            node.CommaCost[s] = best;
        }
    }

    private static void ThrowArgument(string message) => throw new ArgumentException($"response_format.json_schema: {message}");
}

/// <summary>Orders byte strings as ordinal comparison of their bytes does (a prefix first).</summary>
internal sealed class ByteStringComparer : IComparer<byte[]>
{
    public static readonly ByteStringComparer Instance = new();

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y.AsSpan());
}
