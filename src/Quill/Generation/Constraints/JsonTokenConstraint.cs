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

    private readonly VocabularyTrie _trie;
    private readonly JsonRecognizer _recognizer;
    private const int EndTokenSlot = 1;       // the end-of-generation token needs a token of the budget too
    private readonly JsonThread[] _state = new JsonThread[T];
    private readonly JsonThread[] _scratch = new JsonThread[2 * T];
    private readonly JsonThread[] _levels;     // (MaxDepth+1, T) the recognizer state after each trie depth
    private readonly int[] _levelCount, _levelArena;
    private readonly int[] _tokenCost;         // (V) completion cost after each text token, from the last Mask
    private int _stateCount;
    private int _committedCost;
    private int _remaining = int.MaxValue;
    private int _fallbackLimit = -1;           // set by Mask when nothing fits the budget; valid until Accept or a new budget
    private bool _stuck;                       // set by Mask when no token continues the document

    public JsonTokenConstraint(ITokenizer tokenizer, JsonGrammar grammar)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _trie = VocabularyTrie.For(tokenizer);
        if (_trie.EndOfGeneration.Length == 0)
        {
            throw new ArgumentException("json constraint: the tokenizer must have an end-of-generation token to end the JSON, found none");
        }
        _recognizer = new JsonRecognizer(grammar);
        _levels = new JsonThread[(_trie.MaxDepth + 1) * T];
        _levelCount = new int[_trie.MaxDepth + 1];
        _levelArena = new int[_trie.MaxDepth + 1];
        _tokenCost = new int[_trie.VocabSize];
        _stateCount = _recognizer.Start(_state);
        _committedCost = _recognizer.Cost(_state.AsSpan(0, _stateCount));
    }

    public int RemainingTokens
    {
        get => _remaining;
        set
        {
            if (value != _remaining) _fallbackLimit = -1;
            _remaining = value;
        }
    }

    public bool IsComplete => _committedCost == 0;

    /// <summary>Bytes of the shortest text that completes the document from here.</summary>
    internal int ShortestCompletion => _committedCost;

    /// <summary>The largest completion cost a text token may leave.</summary>
    private int Limit
    {
        get
        {
            int limit = _remaining >= JsonGrammar.Unreachable ? JsonGrammar.Unreachable - 1 : _remaining - 1 - EndTokenSlot;
            return _fallbackLimit >= 0 ? Math.Max(limit, _fallbackLimit) : limit;
        }
    }

    public bool Allows(int token)
    {
        if ((uint)token >= (uint)_trie.VocabSize) return false;
        if (_trie.IsEndOfGeneration[token]) return IsComplete || _stuck;
        byte[] bytes = _trie.TokenBytes[token];
        if (bytes.Length == 0) return false;
        int mark = _recognizer.ArenaLength;
        int cost = Walk(bytes, out _, out _);
        _recognizer.ArenaLength = mark;
        return cost <= Limit;
    }

    public void Accept(int token)
    {
        if ((uint)token < (uint)_trie.VocabSize && _trie.IsEndOfGeneration[token]) return;
        byte[] bytes = (uint)token < (uint)_trie.VocabSize ? _trie.TokenBytes[token] : [];
        if (bytes.Length == 0) ThrowNotAllowed(token);
        int cost = Walk(bytes, out int offset, out int count);
        if (cost >= JsonGrammar.Unreachable) ThrowNotAllowed(token);
        _scratch.AsSpan(offset, count).CopyTo(_state);
        _stateCount = _recognizer.Compact(_state.AsSpan(0, count));
        _committedCost = _recognizer.Cost(_state.AsSpan(0, _stateCount));
        _fallbackLimit = -1;
        _stuck = false;
    }

    public void Mask(Span<float> logits)
    {
        int limit = FillTokenCosts(out int fitting, out int cheapest);
        CostMask.Apply(_trie, _tokenCost, logits, limit, fitting, cheapest, JsonGrammar.Unreachable, IsComplete, ref _fallbackLimit, ref _stuck);
    }

    /// <summary>Walks the trie from the current state, writing every text token's completion cost; returns the budget limit.</summary>
    private int FillTokenCosts(out int fitting, out int cheapest)
    {
        int limit = Limit;
        fitting = 0;
        cheapest = JsonGrammar.Unreachable;
        _tokenCost.AsSpan().Fill(JsonGrammar.Unreachable);
        int mark = _recognizer.ArenaLength;
        _state.AsSpan(0, _stateCount).CopyTo(_levels);
        _levelCount[0] = _stateCount;
        _levelArena[0] = mark;
        byte[] depths = _trie.Depth, edges = _trie.Edge;
        int[] ends = _trie.SubtreeEnd, starts = _trie.TokenStart, tokens = _trie.Tokens;
        for (int i = 1; i < depths.Length;)
        {
            int d = depths[i];
            _recognizer.ArenaLength = _levelArena[d - 1];
            int count = _recognizer.Step(_levels.AsSpan((d - 1) * T, _levelCount[d - 1]), edges[i], _levels.AsSpan(d * T, T));
            if (count == 0)
            {
                i = ends[i];
                continue;
            }
            _levelCount[d] = count;
            _levelArena[d] = _recognizer.ArenaLength;
            if (starts[i] < starts[i + 1])
            {
                int cost = _recognizer.Cost(_levels.AsSpan(d * T, count));
                for (int k = starts[i]; k < starts[i + 1]; k++) _tokenCost[tokens[k]] = cost;
                if (cost <= limit) fitting++;
                cheapest = Math.Min(cheapest, cost);
            }
            i++;
        }
        _recognizer.ArenaLength = mark;
        return limit;
    }

    /// <summary>Feeds <paramref name="bytes"/> from the committed state; the result lies in scratch[offset..offset+count]. Returns its cost (Unreachable when
    /// rejected).</summary>
    private int Walk(ReadOnlySpan<byte> bytes, out int offset, out int count)
    {
        Span<JsonThread> from = _scratch.AsSpan(0, T), to = _scratch.AsSpan(T, T);
        _state.AsSpan(0, _stateCount).CopyTo(from);
        count = _stateCount;
        offset = 0;
        foreach (byte b in bytes)
        {
            count = _recognizer.Step(from[..count], b, to);
            if (count == 0) return JsonGrammar.Unreachable;
            Span<JsonThread> swap = from;
            from = to;
            to = swap;
            offset = T - offset;
        }
        return _recognizer.Cost(from[..count]);
    }

    [DoesNotReturn]
    private void ThrowNotAllowed(int token) =>
        throw new InvalidOperationException($"json constraint: expected a token that continues the JSON, found token {token} ({TokenDisplay(token)})");

    private string TokenDisplay(int token) =>
        (uint)token < (uint)_trie.VocabSize ? $"'{System.Text.Encoding.UTF8.GetString(_trie.TokenBytes[token])}'" : "out of the vocabulary";
}
