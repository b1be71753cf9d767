// A conversation with a model: history, the model's chat template, and streamed replies.
using System.Runtime.CompilerServices;
using System.Text;
using Quill.Generation;
using Quill.Models;
using Quill.Tokenizers;
using Quill.Tokenizers.ChatTemplates;

namespace Quill.Chat;

/// <summary>
/// Keeps the messages of one conversation and answers each user turn: the whole history is rendered with the chat
/// template (generation prompt on), tokenized with special-token parsing (templates spell &lt;|im_start|&gt; and
/// friends as text), and the reply is streamed and then added to the history. BOS is added by the tokenizer only when
/// the rendered prompt does not already start with it. The KV cache stays from turn to turn (a
/// <see cref="PromptCache"/>): a turn computes only the tokens after the longest prefix the cache holds (the earlier
/// turns, unless the template renders them differently now), with the same reply as a cold start. Not thread-safe:
/// one reply at a time. Dispose frees the cache.
/// </summary>
public sealed class ChatSession : IDisposable
{
    private readonly Generator _generator;
    private readonly PromptCache _cache = new();
    private readonly ITokenizer _tokenizer;
    private readonly List<ChatMessage> _messages = [];
    private readonly string? _systemPrompt;

    /// <summary>A session on <paramref name="model"/>; <paramref name="template"/> null means ChatML with the tokenizer's BOS/EOS.</summary>
    public ChatSession(ICausalModel model, ITokenizer tokenizer, ChatTemplate? template, string? systemPrompt = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        _generator = new Generator(model, tokenizer);
        _tokenizer = tokenizer;
        Template = template ?? ChatTemplate.Fallback(tokenizer);
        _systemPrompt = string.IsNullOrEmpty(systemPrompt) ? null : systemPrompt;
        Reset();
    }

    /// <summary>A session on a loaded model with the chat template its file carries (ChatML when it has none).</summary>
    public static ChatSession ForModel(LanguageModel model, string? systemPrompt = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ChatTemplate? template = ChatTemplate.FromGguf(model.File);
        return new ChatSession(model.Model, model.Tokenizer, template, systemPrompt);
    }

    public ChatTemplate Template { get; }

    /// <summary>Tokens whose keys and values the session's cache holds (the last prompt and the reply fed back so far).</summary>
    public int CachedTokens => _cache.Length;

    /// <summary>The conversation so far, system prompt included.</summary>
    public IReadOnlyList<ChatMessage> Messages => _messages;

    /// <summary>Forgets every turn; the system prompt stays.</summary>
    public void Reset()
    {
        _messages.Clear();
        if (_systemPrompt is not null) _messages.Add(new ChatMessage("system", _systemPrompt));
    }

    /// <summary>Adds a message to the history without generating (replaying a conversation).</summary>
    public void Add(ChatMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        _messages.Add(message);
    }

    /// <summary>The prompt the model sees for the next reply: the history rendered with the generation prompt.</summary>
    public string RenderPrompt() => Template.Render(_messages, addGenerationPrompt: true);

    /// <summary>The prompt's token ids, BOS added only when the rendered text does not start with it.</summary>
    public int[] PromptTokens() => Template.Encode(_messages, _tokenizer);

    /// <summary>
    /// Adds <paramref name="userMessage"/>, streams the reply (sampling, max tokens and stop strings from
    /// <paramref name="settings"/>; its prompt fields are ignored) and adds the finished reply to the history. A reply
    /// cut short by cancellation is kept as far as it got.
    /// </summary>
    public async IAsyncEnumerable<GenerationChunk> ReplyAsync(string userMessage, GenerationRequest? settings = null,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(userMessage);
        _messages.Add(new ChatMessage("user", userMessage));
        GenerationRequest request = (settings ?? new GenerationRequest()) with { Prompt = null, PromptTokens = PromptTokens() };
        var reply = new StringBuilder();
        try
        {
            await foreach (GenerationChunk chunk in _generator.StreamAsync(request, _cache, ct).ConfigureAwait(false))
            {
                reply.Append(chunk.Text);
                yield return chunk;
            }
        }
        finally
        {
            _messages.Add(new ChatMessage("assistant", reply.ToString()));
        }
    }

    public void Dispose() => _cache.Dispose();
}
