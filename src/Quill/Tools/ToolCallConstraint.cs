// The lazy ITokenConstraint of tool calling: free text until the format's trigger, then the call JSON, closing text and more calls or the end.
using System.Diagnostics.CodeAnalysis;
using Quill.Generation.Constraints;
using Quill.Tokenizers;

namespace Quill.Tools;

/// <summary>
/// A byte-level machine over the generated text, in phases: <b>Free</b> (tool_choice auto: any token; the trigger is
/// watched with a KMP matcher), <b>Opening</b> (required/named: the trigger, spelled from the first token),
/// <b>Json</b> (the call JSON, a <see cref="JsonRecognizer"/> over <see cref="ToolCallGrammar"/>), <b>Close</b>
/// (the format's closing text), <b>After</b> (complete: end-of-generation, or with parallel calls the format's
/// separator) and <b>Separator</b>. A token's bytes are fed one at a time, so a token that straddles phases (ends the
/// free text and starts the trigger, closes the JSON and starts the closing text) is checked segment by segment.
/// <para>
/// Budget (<see cref="ITokenConstraint.RemainingTokens"/>), as <see cref="JsonConstraint"/>'s: once the trigger has
/// started, a token is allowed only when what must still follow it (rest of the JSON, closing text) fits, one token per
/// byte, with one token left for end-of-generation; free text is never limited, but a token completing the trigger is.
/// Special tokens are free text in the Free phase and otherwise allowed only when their text is the trigger (Mistral's
/// <c>[TOOL_CALLS]</c> token). <see cref="Mask"/> checks every token's bytes (V × bytes per token recognizer steps), except
/// in free text, where only the tokens holding the trigger's last byte can start a call and the rest are allowed unread.
/// </para>
/// </summary>
internal sealed class ToolCallConstraint : ITokenConstraint
{
    private enum Phase : byte { Free, Opening, Json, Close, After, Separator }

    private struct Position
    {
        public Phase Phase;
        public int Offset;  // Free: trigger bytes matched; Opening/Close/Separator: literal bytes matched
        public int Threads; // Json: live recognizer threads
    }

    private const int T = JsonRecognizer.MaxThreads;
    private const int EndTokenSlot = 1;

    private readonly VocabularyTrie _trie;
    private readonly JsonRecognizer _recognizer;
    private readonly byte[][] _tokenBytes;     // (V) text tokens' bytes; special tokens' text; EOG empty
    private readonly bool[] _isSpecial, _isTrigger;
    private readonly bool[] _mayEndTrigger;    // (V) may leave free text: special, empty, or holds the trigger's last byte
    private readonly byte[] _trigger, _close, _separator;
    private readonly int[] _failure;           // KMP failure function of the trigger
    private readonly bool _triggerIsJson, _parallel;
    private readonly int _jsonMin;             // bytes of the shortest call JSON
    private readonly int[] _tokenCost;         // (V) what Mask found for each token
    private readonly JsonThread[] _state = new JsonThread[T];
    private readonly JsonThread[] _scratch = new JsonThread[2 * T];
    private Position _position;
    private int _committedCost;
    private int _remaining = int.MaxValue;
    private bool _stuck;

    public ToolCallConstraint(ITokenizer tokenizer, JsonGrammar grammar, ToolCallFormat format, bool startConstrained, bool parallel)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _trie = VocabularyTrie.For(tokenizer);
        if (_trie.EndOfGeneration.Length == 0)
            throw new ArgumentException("tool calls: the tokenizer must have an end-of-generation token to end a call, found none");
        _recognizer = new JsonRecognizer(grammar);
        _trigger = System.Text.Encoding.UTF8.GetBytes(format.Trigger);
        _close = System.Text.Encoding.UTF8.GetBytes(format.Close);
        _separator = System.Text.Encoding.UTF8.GetBytes(format.Separator ?? "");
        _triggerIsJson = format.TriggerIsJson;
        _parallel = parallel && format.Separator is not null;
        _failure = Failure(_trigger);
        int vocab = _trie.VocabSize;
        _tokenBytes = new byte[vocab][];
        _isSpecial = new bool[vocab];
        _isTrigger = new bool[vocab];
        _mayEndTrigger = new bool[vocab];
        _tokenCost = new int[vocab];
        for (int id = 0; id < vocab; id++)
        {
            _tokenBytes[id] = _trie.TokenBytes[id];
            if (_trie.IsEndOfGeneration[id] || !tokenizer.IsSpecial(id)) continue;
            _isSpecial[id] = true;
            _tokenBytes[id] = tokenizer.TokenBytes(id);
            _isTrigger[id] = _tokenBytes[id].AsSpan().SequenceEqual(_trigger);
        }
        // A match completes on the trigger's last byte, so in free text a token without it stays free text (cost 0).
        for (int id = 0; id < vocab; id++)
            _mayEndTrigger[id] = _isSpecial[id] || _tokenBytes[id].Length == 0 || _tokenBytes[id].AsSpan().Contains(_trigger[^1]);
        _jsonMin = _recognizer.Cost(_state.AsSpan(0, _recognizer.Start(_state)));
        _recognizer.Start(_state);
        // Forced calls spell the trigger too, so the parser finds it (Llama 3's "{\"name\"" is then replayed into the JSON).
        _position = new Position { Phase = startConstrained ? Phase.Opening : Phase.Free };
        _committedCost = Cost(_position, _state.AsSpan(0, _position.Threads));
    }

    public int RemainingTokens
    {
        get => _remaining;
        set => _remaining = value;
    }

    public bool IsComplete => _position.Phase is Phase.Free or Phase.After;

    /// <summary>True once the trigger has been generated (a call has started).</summary>
    internal bool CallStarted => _position.Phase != Phase.Free;

    private int Limit => _remaining >= JsonGrammar.Unreachable ? JsonGrammar.Unreachable - 1 : _remaining - 1 - EndTokenSlot;

    public bool Allows(int token)
    {
        if ((uint)token >= (uint)_trie.VocabSize) return false;
        if (_trie.IsEndOfGeneration[token]) return IsComplete || _stuck;
        int mark = _recognizer.ArenaLength;
        int cost = Walk(token, out Position end, out _, out _);
        _recognizer.ArenaLength = mark;
        return Fits(cost, end, Limit);
    }

    public void Accept(int token)
    {
        if ((uint)token < (uint)_trie.VocabSize && _trie.IsEndOfGeneration[token]) return;
        if ((uint)token >= (uint)_trie.VocabSize) ThrowNotAllowed(token);
        int cost = Walk(token, out Position end, out int offset, out int count);
        if (cost >= JsonGrammar.Unreachable) ThrowNotAllowed(token);
        _scratch.AsSpan(offset, count).CopyTo(_state);
        end.Threads = end.Phase == Phase.Json ? _recognizer.Compact(_state.AsSpan(0, count)) : 0;
        _position = end;
        _committedCost = cost;
        _stuck = false;
    }

    public void Mask(Span<float> logits)
    {
        int vocab = Math.Min(logits.Length, _trie.VocabSize);
        int limit = Limit;
        int[] costs = _tokenCost;
        int fitting = 0, cheapest = JsonGrammar.Unreachable;
        int mark = _recognizer.ArenaLength;
        bool free = _position.Phase == Phase.Free;
        for (int id = 0; id < vocab; id++)
        {
            costs[id] = JsonGrammar.Unreachable;
            if (_trie.IsEndOfGeneration[id]) continue;
            if (free && !_mayEndTrigger[id])
            {
                costs[id] = -1;
                fitting++;
                cheapest = 0;
                continue;
            }
            int cost = Walk(id, out Position end, out _, out _);
            _recognizer.ArenaLength = mark;
            if (cost >= JsonGrammar.Unreachable) continue;
            costs[id] = end.Phase == Phase.Free ? -1 : cost; // free text is never limited
            if (Fits(cost, end, limit)) fitting++;
            cheapest = Math.Min(cheapest, Math.Max(costs[id], 0));
        }
        bool endAllowed = IsComplete;
        if (fitting == 0 && !endAllowed)
        {
            if (cheapest < JsonGrammar.Unreachable) limit = cheapest;
            else _stuck = endAllowed = true;
        }
        for (int id = 0; id < vocab; id++)
        {
            bool allowed = _trie.IsEndOfGeneration[id] ? endAllowed : costs[id] <= limit;
            if (!allowed) logits[id] = float.NegativeInfinity;
        }
        logits[vocab..].Fill(float.NegativeInfinity);
    }

    private static bool Fits(int cost, Position end, int limit) => cost < JsonGrammar.Unreachable && (end.Phase == Phase.Free || cost <= limit);

    /// <summary>
    /// Feeds <paramref name="token"/>'s bytes from the committed position; the JSON threads end in
    /// scratch[offset..offset+count]. Returns the bytes still needed to complete (Unreachable when rejected).
    /// </summary>
    private int Walk(int token, out Position at, out int offset, out int count)
    {
        byte[] bytes = _tokenBytes[token];
        at = _position;
        offset = 0;
        count = _position.Threads;
        _state.AsSpan(0, count).CopyTo(_scratch);
        if (bytes.Length == 0) return JsonGrammar.Unreachable;
        if (_isSpecial[token] && at.Phase != Phase.Free && !_isTrigger[token]) return JsonGrammar.Unreachable;
        foreach (byte b in bytes)
        {
            if (!Step(ref at, b, ref offset, ref count)) return JsonGrammar.Unreachable;
        }
        return Cost(at, _scratch.AsSpan(offset, count));
    }

    /// <summary>One byte: false when the text cannot continue with it.</summary>
    private bool Step(ref Position at, byte b, ref int offset, ref int count)
    {
        switch (at.Phase)
        {
            case Phase.Free:
                int matched = at.Offset;
                while (matched > 0 && _trigger[matched] != b) matched = _failure[matched - 1];
                if (_trigger[matched] == b) matched++;
                at.Offset = matched;
                if (matched == _trigger.Length) StartJson(ref at, ref offset, ref count, replayTrigger: _triggerIsJson);
                return count > 0 || at.Phase == Phase.Free;
            case Phase.Opening:
                if (_trigger[at.Offset] != b) return false;
                if (++at.Offset == _trigger.Length) StartJson(ref at, ref offset, ref count, replayTrigger: _triggerIsJson);
                return count > 0 || at.Phase == Phase.Opening;
            case Phase.Json:
                if (!Feed(b, ref offset, ref count)) return false;
                if (_recognizer.Cost(_scratch.AsSpan(offset, count)) == 0) EndJson(ref at, ref count);
                return true;
            case Phase.Close:
                if (_close[at.Offset] != b) return false;
                if (++at.Offset == _close.Length) at = new Position { Phase = Phase.After };
                return true;
            case Phase.After:
                if (!_parallel || _separator[0] != b) return false;
                at = new Position { Phase = Phase.Separator, Offset = 1 };
                if (_separator.Length == 1) StartJson(ref at, ref offset, ref count, replayTrigger: false);
                return true;
            case Phase.Separator:
                if (_separator[at.Offset] != b) return false;
                if (++at.Offset == _separator.Length) StartJson(ref at, ref offset, ref count, replayTrigger: false);
                return true;
            default:
                return false;
        }
    }

    private void StartJson(ref Position at, ref int offset, ref int count, bool replayTrigger)
    {
        at = new Position { Phase = Phase.Json };
        // Restart, not Start: the committed threads' frames below the arena mark must survive an Allows walk.
        offset = 0;
        count = _recognizer.Restart(_scratch.AsSpan(0, T));
        if (!replayTrigger) return;
        foreach (byte t in _trigger)
        {
            if (!Feed(t, ref offset, ref count))
            {
                count = 0;
                return;
            }
        }
    }

    private void EndJson(ref Position at, ref int count)
    {
        at = _close.Length > 0 ? new Position { Phase = Phase.Close } : new Position { Phase = Phase.After };
        count = 0;
    }

    private bool Feed(byte b, ref int offset, ref int count)
    {
        Span<JsonThread> from = _scratch.AsSpan(offset, count), to = _scratch.AsSpan(T - offset, T);
        int next = _recognizer.Step(from, b, to);
        if (next == 0) return false;
        offset = T - offset;
        count = next;
        return true;
    }

    private int Cost(Position at, ReadOnlySpan<JsonThread> threads) => at.Phase switch
    {
        Phase.Free or Phase.After => 0,
        Phase.Opening => JsonGrammar.Add(_trigger.Length - at.Offset, JsonGrammar.Add(_jsonMin, _close.Length)),
        Phase.Json => JsonGrammar.Add(_recognizer.Cost(threads), _close.Length),
        Phase.Close => _close.Length - at.Offset,
        _ => JsonGrammar.Add(_separator.Length - at.Offset, JsonGrammar.Add(_jsonMin, _close.Length)),
    };

    private static int[] Failure(byte[] pattern)
    {
        var failure = new int[pattern.Length];
        for (int i = 1, k = 0; i < pattern.Length; i++)
        {
            while (k > 0 && pattern[i] != pattern[k]) k = failure[k - 1];
            if (pattern[i] == pattern[k]) k++;
            failure[i] = k;
        }
        return failure;
    }

    [DoesNotReturn]
    private void ThrowNotAllowed(int token) =>
        throw new InvalidOperationException($"tool-call constraint: expected a token that continues the call, found token {token} ({TokenDisplay(token)})");

    private string TokenDisplay(int token) =>
        (uint)token < (uint)_tokenBytes.Length ? $"'{System.Text.Encoding.UTF8.GetString(_tokenBytes[token])}'" : "out of the vocabulary";
}
