// Turns Microsoft.Extensions.AI messages and ChatOptions into a Quill GenerationRequest.
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Quill.Generation;
using Quill.Generation.Constraints;
using Quill.Tokenizers;
using Quill.Tokenizers.ChatTemplates;
using Quill.Tools;
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
    /// <summary>
    /// The conversation as the template sees it: an assistant's FunctionCallContents become its tool_calls, each
    /// FunctionResultContent of a tool message a "tool" message with its call id; <paramref name="instructions"/> become
    /// (or lead) the system message.
    /// </summary>
    public static List<TemplateMessage> ToTemplateMessages(IEnumerable<AiChatMessage> messages, string? instructions)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var result = new List<TemplateMessage>();
        foreach (AiChatMessage message in messages)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            if (message.Role == ChatRole.Tool)
            {
                foreach (AIContent content in message.Contents)
                {
                    if (content is not FunctionResultContent r) throw Unsupported($"{content.GetType().Name} in a tool message (only FunctionResultContent)");
                    result.Add(new TemplateMessage("tool", ResultText(r.Result)) { ToolCallId = r.CallId });
                }
                continue;
            }
            List<ChatToolCall> calls =
                [.. message.Contents.OfType<FunctionCallContent>().Select(c => new ChatToolCall(c.CallId, c.Name, ArgumentsJson(c.Arguments)))];
            result.Add(new TemplateMessage(RoleName(message.Role), Text(message)) { ToolCalls = calls.Count > 0 ? calls : null });
        }
        if (!string.IsNullOrEmpty(instructions))
        {
            // Many templates (llama2, mistral) accept a system message only in first place, so instructions join it.
            if (result.Count > 0 && result[0].Role == "system") result[0] = result[0] with { Content = instructions + "\n\n" + result[0].Content };
            else result.Insert(0, new TemplateMessage("system", instructions));
        }
        return result;
    }

    /// <summary>
    /// The request's tool calling: ChatOptions.Tools (AIFunctionDeclarations: name, description, JsonSchema), ToolMode
    /// (auto, none, require any, require one) and AllowMultipleToolCalls, in <paramref name="template"/>'s format.
    /// </summary>
    public static ToolCalling ToolCallingFor(ChatTemplate template, ChatOptions? options)
    {
        var tools = new List<ToolDefinition>();
        foreach (AITool tool in options?.Tools ?? [])
        {
            if (tool is not AIFunctionDeclaration function) throw Unsupported($"the tool {tool.Name} ({tool.GetType().Name}; only AIFunctionDeclaration)");
            tools.Add(new ToolDefinition(function.Name, string.IsNullOrEmpty(function.Description) ? null : function.Description, function.JsonSchema));
        }
        ToolChoice choice = options?.ToolMode switch
        {
            _ when tools.Count == 0 => ToolChoice.None,
            null or AutoChatToolMode => ToolChoice.Auto,
            NoneChatToolMode => ToolChoice.None,
            RequiredChatToolMode { RequiredFunctionName: { } name } => ToolChoice.Function(name),
            RequiredChatToolMode => ToolChoice.Required,
            var other => throw Unsupported($"the tool mode {other}"),
        };
        return ToolCalling.For(template, tools, choice, options?.AllowMultipleToolCalls ?? true);
    }

    /// <summary>The rendered prompt's token ids (tools and tool messages included), BOS added only when the rendered text does not start with it.</summary>
    public static int[] PromptTokens(ChatTemplate template, ITokenizer tokenizer, IReadOnlyList<TemplateMessage> messages, ToolCalling tools) =>
        tools.Encode(template, tokenizer, messages);

    /// <summary>A call's arguments as JSON text (values as System.Text.Json writes them with M.E.AI's options).</summary>
    private static string ArgumentsJson(IDictionary<string, object?>? arguments) => arguments is null ? "{}"
        : JsonSerializer.Serialize(arguments, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(IDictionary<string, object?>)));

    /// <summary>A function result as the tool message's text: strings as they are, anything else as JSON.</summary>
    private static string ResultText(object? result) => result switch
    {
        null => "",
        string text => text,
        JsonElement { ValueKind: JsonValueKind.String } text => text.GetString()!,
        _ => JsonSerializer.Serialize(result, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(object))),
    };

    /// <summary>
    /// <paramref name="baseRequest"/> with the prompt and every option <paramref name="options"/> sets: sampling
    /// (temperature, top-p, top-k, penalties, seed), MaxOutputTokens, StopSequences and ResponseFormat (a fresh JSON
    /// constraint), or the tool-call constraint of <paramref name="tools"/>. A ConversationId or a ContinuationToken throw
    /// <see cref="NotSupportedException"/>.
    /// </summary>
    public static GenerationRequest ToRequest(GenerationRequest baseRequest, int[] promptTokens, ChatOptions? options, ITokenizer tokenizer,
        ToolCalling? tools = null)
    {
        GenerationRequest request = baseRequest with { Prompt = null, PromptTokens = promptTokens };
        if (tools is { CallsExpected: true }) request = request with { Constraint = tools.NewConstraint(tokenizer) };
        if (options is null) return request;
        if (tools is { CallsExpected: true } && options.ResponseFormat is ChatResponseFormatJson)
            throw new ArgumentException("chat options: ResponseFormat Json cannot be combined with tool calls; set ToolMode None or drop it", nameof(options));
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

    /// <summary>The template's role name; custom roles throw <see cref="NotSupportedException"/>.</summary>
    private static string RoleName(ChatRole role)
    {
        if (role == ChatRole.System) return "system";
        if (role == ChatRole.User) return "user";
        if (role == ChatRole.Assistant) return "assistant";
        throw Unsupported($"the chat role '{role.Value}' (expected system, user, assistant or tool)");
    }

    /// <summary>The message's text contents joined in order (an assistant's FunctionCallContents are its tool calls); any other content throws.</summary>
    private static string Text(AiChatMessage message)
    {
        IList<AIContent> contents = message.Contents;
        if (contents.Count == 1 && contents[0] is TextContent single) return single.Text ?? "";
        var text = new StringBuilder();
        foreach (AIContent content in contents)
        {
            if (content is TextContent part) text.Append(part.Text);
            else if (content is FunctionCallContent && message.Role == ChatRole.Assistant) continue;
            else throw Unsupported($"{content.GetType().Name} in a {message.Role.Value} message (only TextContent)");
        }
        return text.ToString();
    }

    private static NotSupportedException Unsupported(string what) => new($"{nameof(QuillChatClient)}: {what} is not supported");
}
