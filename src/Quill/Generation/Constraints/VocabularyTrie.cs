// The byte trie of a tokenizer's text tokens, built once per tokenizer and shared.
using System.Runtime.CompilerServices;
using Quill.Tokenizers;

namespace Quill.Generation.Constraints;

/// <summary>
/// Every token that stands for text (not special, not end-of-generation, not empty) placed by its UTF-8 bytes in a
/// trie stored in depth-first preorder: node i's subtree is nodes i..<see cref="SubtreeEnd"/>[i]−1, so a constraint
/// walks the whole vocabulary as one loop over arrays, stepping its recognizer once per trie edge (shared by all
/// tokens with that prefix) and skipping a subtree as soon as its prefix is rejected. Node 0 is the empty prefix.
/// </summary>
internal sealed class VocabularyTrie
{
    private static readonly ConditionalWeakTable<ITokenizer, VocabularyTrie> Cache = new();

    private VocabularyTrie(ITokenizer tokenizer)
    {
        VocabSize = tokenizer.VocabSize;
        TokenBytes = new byte[VocabSize][];
        IsEndOfGeneration = new bool[VocabSize];
        var text = new List<int>(VocabSize);
        var endOfGeneration = new List<int>();
        for (int id = 0; id < VocabSize; id++)
        {
            TokenBytes[id] = [];
            if (tokenizer.IsEndOfGeneration(id))
            {
                endOfGeneration.Add(id);
                IsEndOfGeneration[id] = true;
            }
            else if (!tokenizer.IsSpecial(id))
            {
                TokenBytes[id] = tokenizer.TokenBytes(id);
                if (TokenBytes[id].Length > 0) text.Add(id);
            }
        }
        EndOfGeneration = [.. endOfGeneration];
        text.Sort((x, y) =>
        {
            int order = TokenBytes[x].AsSpan().SequenceCompareTo(TokenBytes[y]);
            return order != 0 ? order : x.CompareTo(y);
        });
        Build(text, out Edge, out Depth, out SubtreeEnd, out TokenStart, out Tokens);
        foreach (byte d in Depth) MaxDepth = Math.Max(MaxDepth, d);
    }

    /// <summary>The trie of <paramref name="tokenizer"/>, built on first use and kept while the tokenizer lives.</summary>
    public static VocabularyTrie For(ITokenizer tokenizer) => Cache.GetValue(tokenizer, t => new VocabularyTrie(t));

    public int VocabSize { get; }

    /// <summary>(V) each token's bytes; empty for special, end-of-generation and empty tokens, which the trie leaves out.</summary>
    public byte[][] TokenBytes { get; }

    /// <summary>(V) the tokenizer's IsEndOfGeneration, looked up without an interface call.</summary>
    public bool[] IsEndOfGeneration { get; }

    /// <summary>Ids for which the tokenizer says IsEndOfGeneration.</summary>
    public int[] EndOfGeneration { get; }

    public int NodeCount => Edge.Length;

    /// <summary>Longest token in bytes (the deepest node), at most 255; longer tokens are left out.</summary>
    public int MaxDepth { get; }

    /// <summary>(N) the byte on the edge into node i.</summary>
    public readonly byte[] Edge;

    /// <summary>(N) bytes from the root to node i.</summary>
    public readonly byte[] Depth;

    /// <summary>(N) one past the last node of node i's subtree.</summary>
    public readonly int[] SubtreeEnd;

    /// <summary>(N+1) the tokens spelled exactly by node i are Tokens[TokenStart[i]..TokenStart[i+1]].</summary>
    public readonly int[] TokenStart;

    public readonly int[] Tokens;

    private void Build(List<int> sorted, out byte[] edge, out byte[] depth, out int[] subtreeEnd, out int[] tokenStart, out int[] tokens)
    {
        var edges = new List<byte> { 0 };
        var depths = new List<byte> { 0 };
        var ends = new List<int> { 0 };
        var starts = new List<int> { 0 };
        var ids = new List<int>(sorted.Count);
        var path = new List<int> { 0 }; // node at each depth of the current token's prefix
        byte[] previous = [];
        foreach (int id in sorted)
        {
            byte[] bytes = TokenBytes[id];
            if (bytes.Length > byte.MaxValue)
            {
                TokenBytes[id] = [];
                continue;
            }
            int common = CommonPrefix(previous, bytes);
            // Close the nodes below the shared prefix; sorted order means they get no more children.
            while (path.Count - 1 > common)
            {
                ends[path[^1]] = edges.Count;
                path.RemoveAt(path.Count - 1);
            }
            for (int d = common; d < bytes.Length; d++)
            {
                edges.Add(bytes[d]);
                depths.Add((byte)(d + 1));
                ends.Add(0);
                starts.Add(ids.Count);
                path.Add(edges.Count - 1);
            }
            ids.Add(id); // sorted order puts a node's tokens right after it is created, before its children
            previous = bytes;
        }
        while (path.Count > 0)
        {
            ends[path[^1]] = edges.Count;
            path.RemoveAt(path.Count - 1);
        }
        starts.Add(ids.Count);
        edge = [.. edges];
        depth = [.. depths];
        subtreeEnd = [.. ends];
        tokens = [.. ids];
        tokenStart = [.. starts];
    }

    private static int CommonPrefix(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.CommonPrefixLength(b);
}
