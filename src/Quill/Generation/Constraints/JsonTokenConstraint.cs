// The ITokenConstraint for JSON: a JsonRecognizer driven token by token, with the vocabulary trie for Mask.
using System.Diagnostics.CodeAnalysis;
using Quill.Tokenizers;

namespace Quill.Generation.Constraints;

/// <summary>
/// Keeps generated text a prefix of a document that <see cref="JsonGrammar"/> allows, and keeps it completable within
/// <see cref="RemainingTokens"/>: a text token is allowed when the recognizer accepts its bytes and the shortest
/// completion after it, plus one token for end-of-generation, fits in the tokens left after it (one token per byte).
/// End-of-generation tokens are allowed exactly when the document is complete; other special tokens never.
/// When no token fits the budget (a vocabulary without single-byte tokens for what is needed, or a budget too small
/// from the start) the tokens whose completion is shortest are allowed instead; when no token continues the document
/// at all, the end-of-generation tokens are allowed, so generation stops with an incomplete document rather than
/// with nothing allowed. Buffers are allocated once; Allows, Mask and Accept do not allocate after warm-up.
/// </summary>
internal sealed class JsonTokenConstraint : ITokenConstraint
{
    private const int T = JsonRecognizer.MaxThreads;

    private readonly VocabularyTrie trie;
    private readonly JsonRecognizer recognizer;
    private const int EndTokenSlot = 1;       // the end-of-generation token needs a token of the budget too
    private readonly JsonThread[] state = new JsonThread[T];
    private readonly JsonThread[] scratch = new JsonThread[2 * T];
    private readonly JsonThread[] levels;     // (MaxDepth+1, T) the recognizer state after each trie depth
    private readonly int[] levelCount, levelArena;
    private readonly int[] tokenCost;         // (V) completion cost after each text token, from the last Mask
    private int stateCount;
    private int committedCost;
    private int remaining = int.MaxValue;
    private int fallbackLimit = -1;           // set by Mask when nothing fits the budget; valid until Accept or a new budget
    private bool stuck;                       // set by Mask when no token continues the document

    public JsonTokenConstraint(ITokenizer tokenizer, JsonGrammar grammar)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        trie = VocabularyTrie.For(tokenizer);
        if (trie.EndOfGeneration.Length == 0)
        {
            throw new ArgumentException("json constraint: the tokenizer must have an end-of-generation token to end the JSON, found none");
        }
        recognizer = new JsonRecognizer(grammar);
        levels = new JsonThread[(trie.MaxDepth + 1) * T];
        levelCount = new int[trie.MaxDepth + 1];
        levelArena = new int[trie.MaxDepth + 1];
        tokenCost = new int[trie.VocabSize];
        stateCount = recognizer.Start(state);
        committedCost = recognizer.Cost(state.AsSpan(0, stateCount));
    }

    public int RemainingTokens
    {
        get => remaining;
        set
        {
            if (value != remaining) fallbackLimit = -1;
            remaining = value;
        }
    }

    public bool IsComplete => committedCost == 0;

    /// <summary>Bytes of the shortest text that completes the document from here.</summary>
    internal int ShortestCompletion => committedCost;

    /// <summary>The largest completion cost a text token may leave.</summary>
    private int Limit
    {
        get
        {
            int limit = remaining >= JsonGrammar.Unreachable ? JsonGrammar.Unreachable - 1 : remaining - 1 - EndTokenSlot;
            return fallbackLimit >= 0 ? Math.Max(limit, fallbackLimit) : limit;
        }
    }

    public bool Allows(int token)
    {
        if ((uint)token >= (uint)trie.VocabSize) return false;
        if (trie.IsEndOfGeneration[token]) return IsComplete || stuck;
        byte[] bytes = trie.TokenBytes[token];
        if (bytes.Length == 0) return false;
        int mark = recognizer.ArenaLength;
        int cost = Walk(bytes, out _, out _);
        recognizer.ArenaLength = mark;
        return cost <= Limit;
    }

    public void Accept(int token)
    {
        if ((uint)token < (uint)trie.VocabSize && trie.IsEndOfGeneration[token]) return;
        byte[] bytes = (uint)token < (uint)trie.VocabSize ? trie.TokenBytes[token] : [];
        if (bytes.Length == 0) ThrowNotAllowed(token);
        int cost = Walk(bytes, out int offset, out int count);
        if (cost >= JsonGrammar.Unreachable) ThrowNotAllowed(token);
        scratch.AsSpan(offset, count).CopyTo(state);
        stateCount = recognizer.Compact(state.AsSpan(0, count));
        committedCost = recognizer.Cost(state.AsSpan(0, stateCount));
        fallbackLimit = -1;
        stuck = false;
    }

    public void Mask(Span<float> logits)
    {
        int limit = FillTokenCosts(out int fitting, out int cheapest);
        bool endAllowed = IsComplete;
        if (fitting == 0 && !endAllowed)
        {
            if (cheapest < JsonGrammar.Unreachable) fallbackLimit = limit = cheapest;
            else stuck = endAllowed = true;
        }
        int vocab = Math.Min(logits.Length, trie.VocabSize);
        for (int id = 0; id < vocab; id++)
        {
            bool allowed = trie.IsEndOfGeneration[id] ? endAllowed : tokenCost[id] <= limit;
            if (!allowed) logits[id] = float.NegativeInfinity;
        }
        logits[vocab..].Fill(float.NegativeInfinity);
    }

    /// <summary>Walks the trie from the current state, writing every text token's completion cost; returns the budget limit.</summary>
    private int FillTokenCosts(out int fitting, out int cheapest)
    {
        int limit = Limit;
        fitting = 0;
        cheapest = JsonGrammar.Unreachable;
        tokenCost.AsSpan().Fill(JsonGrammar.Unreachable);
        int mark = recognizer.ArenaLength;
        state.AsSpan(0, stateCount).CopyTo(levels);
        levelCount[0] = stateCount;
        levelArena[0] = mark;
        byte[] depths = trie.Depth, edges = trie.Edge;
        int[] ends = trie.SubtreeEnd, starts = trie.TokenStart, tokens = trie.Tokens;
        for (int i = 1; i < depths.Length;)
        {
            int d = depths[i];
            recognizer.ArenaLength = levelArena[d - 1];
            int count = recognizer.Step(levels.AsSpan((d - 1) * T, levelCount[d - 1]), edges[i], levels.AsSpan(d * T, T));
            if (count == 0)
            {
                i = ends[i];
                continue;
            }
            levelCount[d] = count;
            levelArena[d] = recognizer.ArenaLength;
            if (starts[i] < starts[i + 1])
            {
                int cost = recognizer.Cost(levels.AsSpan(d * T, count));
                for (int k = starts[i]; k < starts[i + 1]; k++) tokenCost[tokens[k]] = cost;
                if (cost <= limit) fitting++;
                cheapest = Math.Min(cheapest, cost);
            }
            i++;
        }
        recognizer.ArenaLength = mark;
        return limit;
    }

    /// <summary>Feeds <paramref name="bytes"/> from the committed state; the result lies in scratch[offset..offset+count]. Returns its cost (Unreachable when rejected).</summary>
    private int Walk(ReadOnlySpan<byte> bytes, out int offset, out int count)
    {
        Span<JsonThread> from = scratch.AsSpan(0, T), to = scratch.AsSpan(T, T);
        state.AsSpan(0, stateCount).CopyTo(from);
        count = stateCount;
        offset = 0;
        foreach (byte b in bytes)
        {
            count = recognizer.Step(from[..count], b, to);
            if (count == 0) return JsonGrammar.Unreachable;
            Span<JsonThread> swap = from;
            from = to;
            to = swap;
            offset = T - offset;
        }
        return recognizer.Cost(from[..count]);
    }

    [DoesNotReturn]
    private void ThrowNotAllowed(int token) =>
        throw new InvalidOperationException($"json constraint: expected a token that continues the JSON, found token {token} ({TokenDisplay(token)})");

    private string TokenDisplay(int token) =>
        (uint)token < (uint)trie.VocabSize ? $"'{System.Text.Encoding.UTF8.GetString(trie.TokenBytes[token])}'" : "out of the vocabulary";
}
