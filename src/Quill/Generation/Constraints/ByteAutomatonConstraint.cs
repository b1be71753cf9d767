// The ITokenConstraint for any IByteAutomaton: the vocabulary trie walked through the automaton, with JSON's budget rules.
using Quill.Tokenizers;

namespace Quill.Generation.Constraints;

/// <summary>
/// Keeps generated text a prefix of a text <see cref="IByteAutomaton"/> accepts, and completable within
/// <see cref="RemainingTokens"/>: a text token is allowed when every one of its bytes steps the automaton and the
/// shortest completion after it, plus one token for end-of-generation, fits in the tokens left (one token per byte, as
/// <see cref="JsonConstraint"/> counts). End-of-generation tokens are allowed exactly when the automaton accepts; other
/// special tokens never. When no token fits the budget, the tokens whose completion is shortest are allowed; when no
/// token continues the text at all, end-of-generation is, so generation stops rather than finding nothing allowed.
/// Buffers are allocated once; Allows, Mask and Accept allocate only what the automaton itself does.
/// </summary>
public sealed class ByteAutomatonConstraint : ITokenConstraint
{
    private const int EndTokenSlot = 1;
    private readonly VocabularyTrie _trie;
    private readonly IByteAutomaton _automaton;
    private readonly int[] _levelState;   // (MaxDepth+1) the automaton state after each trie depth
    private readonly int[] _tokenCost;    // (V) completion cost after each text token, from the last Mask
    private int _state;
    private int _remaining = int.MaxValue;
    private int _fallbackLimit = -1;
    private bool _stuck;

    /// <summary>A constraint decoding against <paramref name="automaton"/> from its start state. Throws <see cref="ArgumentException"/>
    /// when the tokenizer has no end-of-generation token.</summary>
    public ByteAutomatonConstraint(ITokenizer tokenizer, IByteAutomaton automaton)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(automaton);
        _trie = VocabularyTrie.For(tokenizer);
        if (_trie.EndOfGeneration.Length == 0)
        {
            throw new ArgumentException("constrained decoding: the tokenizer must have an end-of-generation token to end the output, found none");
        }
        _automaton = automaton;
        _levelState = new int[_trie.MaxDepth + 1];
        _tokenCost = new int[_trie.VocabSize];
        _state = automaton.Start;
    }

    /// <summary>The automaton's current state (after every accepted token).</summary>
    public int State => _state;

    public int RemainingTokens
    {
        get => _remaining;
        set
        {
            if (value != _remaining) _fallbackLimit = -1;
            _remaining = value;
        }
    }

    public bool IsComplete => _automaton.Cost(_state) == 0;

    private int Limit
    {
        get
        {
            int limit = _remaining == int.MaxValue ? int.MaxValue - 1 : _remaining - 1 - EndTokenSlot;
            return _fallbackLimit >= 0 ? Math.Max(limit, _fallbackLimit) : limit;
        }
    }

    public bool Allows(int token)
    {
        if ((uint)token >= (uint)_trie.VocabSize) return false;
        if (_trie.IsEndOfGeneration[token]) return IsComplete || _stuck;
        byte[] bytes = _trie.TokenBytes[token];
        if (bytes.Length == 0) return false;
        int state = Walk(bytes);
        return state >= 0 && _automaton.Cost(state) <= Limit;
    }

    public void Accept(int token)
    {
        if ((uint)token < (uint)_trie.VocabSize && _trie.IsEndOfGeneration[token]) return;
        byte[] bytes = (uint)token < (uint)_trie.VocabSize ? _trie.TokenBytes[token] : [];
        int state = bytes.Length == 0 ? -1 : Walk(bytes);
        if (state < 0 || _automaton.Cost(state) == int.MaxValue)
        {
            throw new InvalidOperationException($"constrained decoding: token {token} does not continue the allowed output");
        }
        _state = state;
        _fallbackLimit = -1;
        _stuck = false;
    }

    public void Mask(Span<float> logits)
    {
        int limit = FillTokenCosts(out int fitting, out int cheapest);
        CostMask.Apply(_trie, _tokenCost, logits, limit, fitting, cheapest, int.MaxValue, IsComplete, ref _fallbackLimit, ref _stuck);
    }

    private int FillTokenCosts(out int fitting, out int cheapest)
    {
        int limit = Limit;
        fitting = 0;
        cheapest = int.MaxValue;
        _tokenCost.AsSpan().Fill(int.MaxValue);
        _levelState[0] = _state;
        byte[] depths = _trie.Depth, edges = _trie.Edge;
        int[] ends = _trie.SubtreeEnd, starts = _trie.TokenStart, tokens = _trie.Tokens;
        for (int i = 1; i < depths.Length;)
        {
            int d = depths[i];
            int next = _automaton.Step(_levelState[d - 1], edges[i]);
            int cost = next < 0 ? int.MaxValue : _automaton.Cost(next);
            if (cost == int.MaxValue)
            {
                i = ends[i];
                continue;
            }
            _levelState[d] = next;
            if (starts[i] < starts[i + 1])
            {
                for (int k = starts[i]; k < starts[i + 1]; k++) _tokenCost[tokens[k]] = cost;
                if (cost <= limit) fitting++;
                cheapest = Math.Min(cheapest, cost);
            }
            i++;
        }
        return limit;
    }

    private int Walk(ReadOnlySpan<byte> bytes)
    {
        int state = _state;
        foreach (byte b in bytes)
        {
            state = _automaton.Step(state, b);
            if (state < 0) return -1;
        }
        return state;
    }
}
