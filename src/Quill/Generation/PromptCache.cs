// One sequence's KV cache kept from one generation to the next, with the token ids it holds; not the batcher's slots.
using Quill.Models;

namespace Quill.Generation;

/// <summary>
/// Lets <see cref="Generator"/> keep a KV cache across calls (a chat's turns): the next prompt keeps the longest
/// prefix the cache holds (<see cref="PromptPrefix.Reusable"/>) and computes only the rest, so a turn costs its new
/// tokens. The cache holds the prompt and every sampled token that was fed back (all of them, except one that ended
/// the generation with a stop string or a full context). A generation that fails empties it. The state is created on
/// first use, sized for the request's context length, and made again when the model or that length changes. Not
/// thread-safe: one generation at a time.
/// </summary>
public sealed class PromptCache : IDisposable
{
    private ICausalModel? _model;
    private IInferenceState? _state;
    private int[] _tokens = [];
    private int _length;

    /// <summary>Tokens whose keys and values the cache holds.</summary>
    public int Length => _length;

    /// <summary>The token ids whose keys and values the cache holds, in order.</summary>
    public ReadOnlySpan<int> Tokens => _tokens.AsSpan(0, _length);

    /// <summary>Forgets every position (the memory stays for the next generation).</summary>
    public void Clear()
    {
        _state?.Truncate(0);
        _length = 0;
    }

    /// <summary>
    /// The state to generate <paramref name="prompt"/> in, truncated to the prefix it may keep (<paramref name="cached"/>
    /// positions; 0 when <paramref name="reuse"/> is false).
    /// </summary>
    internal IInferenceState Begin(ICausalModel model, int contextLength, ReadOnlySpan<int> prompt, bool reuse, out int cached)
    {
        if (_state is null || !ReferenceEquals(model, _model) || _state.ContextLength != contextLength)
        {
            _state?.Dispose();
            _state = null;
            _length = 0;
            _state = model.CreateState(contextLength);
            _model = model;
            _tokens = new int[contextLength];
        }
        cached = reuse ? PromptPrefix.Reusable(Tokens, prompt) : 0;
        _state.Truncate(cached);
        _length = cached;
        return _state;
    }

    /// <summary>Records <paramref name="tokens"/> as appended to the state after the held ones.</summary>
    internal void Appended(ReadOnlySpan<int> tokens)
    {
        tokens.CopyTo(_tokens.AsSpan(_length));
        _length += tokens.Length;
    }

    public void Dispose()
    {
        _state?.Dispose();
        _state = null;
        _model = null;
        _length = 0;
    }
}
