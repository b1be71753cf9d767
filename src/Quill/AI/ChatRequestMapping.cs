// Turns Microsoft.Extensions.AI messages and ChatOptions into a Quill GenerationRequest.
using System.Text;
using Microsoft.Extensions.AI;
using Quill.Generation;
using Quill.Generation.Constraints;
using Quill.Tokenizers;
using Quill.Tokenizers.ChatTemplates;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using TemplateMessage = Quill.Tokenizers.ChatTemplates.ChatMessage;

namespace Quill.AI;

/// <summary>
/// The translation behind <see cref="QuillChatClient"/>: roles and text contents become template messages, the template
/// renders them with the generation prompt, and the prompt is tokenized as <see cref="Chat.ChatSession"/> does
/// (special tokens parsed, BOS added only when the text does not already start with it). ChatOptions override a base
/// request: the one <see cref="ChatOptions.RawRepresentationFactory"/> returns when it is a <see cref="GenerationRequest"/>,
/// else the client's defaults.
/// </summary>
internal static class ChatRequestMapping
{
    /// <summary>The conversation as the template sees it; <paramref name="instructions"/> become (or lead) the system message.</summary>
    public static List<TemplateMessage> ToTemplateMessages(IEnumerable<AiChatMessage> messages, string? instructions)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var result = new List<TemplateMessage>();
        foreach (AiChatMessage message in messages)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            result.Add(new TemplateMessage(RoleName(message.Role), Text(message)));
        }
        if (!string.IsNullOrEmpty(instructions))
        {
            // Many templates (llama2, mistral) accept a system message only in first place, so instructions join it.
            if (result.Count > 0 && result[0].Role == "system") result[0] = result[0] with { Content = instructions + "\n\n" + result[0].Content };
            else result.Insert(0, new TemplateMessage("system", instructions));
        }
        return result;
    }

    /// <summary>The rendered prompt's token ids, BOS added only when the rendered text does not start with it.</summary>
    public static int[] PromptTokens(ChatTemplate template, ITokenizer tokenizer, IReadOnlyList<TemplateMessage> messages) =>
        template.Encode(messages, tokenizer);

    /// <summary>
    /// <paramref name="baseRequest"/> with the prompt and every option <paramref name="options"/> sets: sampling
    /// (temperature, top-p, top-k, penalties, seed), MaxOutputTokens, StopSequences and ResponseFormat (a fresh JSON
    /// constraint). Tools, a ConversationId or a ContinuationToken throw <see cref="NotSupportedException"/>.
    /// </summary>
    public static GenerationRequest ToRequest(GenerationRequest baseRequest, int[] promptTokens, ChatOptions? options, ITokenizer tokenizer)
    {
        GenerationRequest request = baseRequest with { Prompt = null, PromptTokens = promptTokens };
        if (options is null) return request;
        if (options.Tools is { Count: > 0 }) throw Unsupported("tool calling (ChatOptions.Tools)");
        if (options.ConversationId is not null) throw Unsupported("server-side conversation state (ChatOptions.ConversationId)");
        if (options.ContinuationToken is not null) throw Unsupported("background responses (ChatOptions.ContinuationToken)");

        SamplingOptions sampling = request.Sampling;
        if (options.Temperature is float temperature) sampling = sampling with { Temperature = temperature };
        if (options.TopP is float topP) sampling = sampling with { TopP = topP };
        if (options.TopK is int topK) sampling = sampling with { TopK = topK };
        if (options.PresencePenalty is float presence) sampling = sampling with { PresencePenalty = presence };
        if (options.FrequencyPenalty is float frequency) sampling = sampling with { FrequencyPenalty = frequency };
        if (options.Seed is long seed) sampling = sampling with { Seed = unchecked((ulong)seed) };
        sampling.Validate();
        request = request with { Sampling = sampling };

        if (options.MaxOutputTokens is int maxTokens)
        {
            if (maxTokens < 0)
                throw new ArgumentOutOfRangeException(nameof(options), maxTokens, $"chat options: MaxOutputTokens must be 0 or more, found {maxTokens}");
            request = request with { MaxTokens = maxTokens };
        }
        if (options.StopSequences is { Count: > 0 } stops) request = request with { Stop = [.. request.Stop, .. stops] };
        if (options.ResponseFormat is ChatResponseFormatJson json)
        {
            request = request with
            {
                Constraint = json.Schema is { } schema ? JsonConstraint.ForSchema(tokenizer,
                schema) : JsonConstraint.ForObject(tokenizer)
            };
        }
        return request;
    }

    /// <summary>The template's role name; tool messages and custom roles throw <see cref="NotSupportedException"/>.</summary>
    private static string RoleName(ChatRole role)
    {
        if (role == ChatRole.System) return "system";
        if (role == ChatRole.User) return "user";
        if (role == ChatRole.Assistant) return "assistant";
        if (role == ChatRole.Tool) throw Unsupported("tool messages (ChatRole.Tool)");
        throw Unsupported($"the chat role '{role.Value}' (expected system, user or assistant)");
    }

    /// <summary>The message's text contents joined in order; any other content throws <see cref="NotSupportedException"/>.</summary>
    private static string Text(AiChatMessage message)
    {
        IList<AIContent> contents = message.Contents;
        if (contents.Count == 1 && contents[0] is TextContent single) return single.Text ?? "";
        var text = new StringBuilder();
        foreach (AIContent content in contents)
        {
            if (content is TextContent part) text.Append(part.Text);
            else throw Unsupported($"{content.GetType().Name} in a {message.Role.Value} message (only TextContent)");
        }
        return text.ToString();
    }

    private static NotSupportedException Unsupported(string what) => new($"{nameof(QuillChatClient)}: {what} is not supported");
}
