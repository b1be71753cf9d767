// POST /v1/chat/completions: messages rendered with the model's chat template, n choices, whole or streamed.
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Quill.Generation;
using Quill.OpenAI;
using Quill.Safety;
using Quill.Server.Contracts;
using Quill.Server.Guard;
using Quill.Tokenizers.ChatTemplates;
using Quill.Tools;

namespace Quill.Server.Endpoints;

/// <summary>
/// Messages are {role, content} with content a string or a list of text parts; roles pass to the template as given
/// ("developer" becomes "system"). max_completion_tokens (or max_tokens) defaults to the rest of the context.
/// With tools (<see cref="ChatToolFields"/>) the prompt carries them through the template, each choice generates under
/// its own lazy call constraint, and its text is split into content and tool_calls by a <see cref="ToolCallParser"/>
/// (streamed: delta.tool_calls by index); a reply that made calls finishes with "tool_calls". The guard scans user and
/// tool messages before anything runs; with --guard-canary the system prompt gets a canary and a choice that repeats it
/// ends there with "content_filter".
/// </summary>
internal sealed class ChatCompletionsEndpoint(ServedModels models, ServerMetrics metrics, RequestGuard guard, CancellationToken stopping)
{
    public async Task HandleAsync(HttpContext context)
    {
        ChatCompletionRequest request = await RequestBody.ReadAsync(context, ServerJsonContext.Default.ChatCompletionRequest).ConfigureAwait(false);
        models.RequireGenerative(request.Model);
        List<ChatMessage> messages = ReadMessages(request.Messages);
        guard.Check(context, GuardedTexts(messages));
        CanaryToken? canary = guard.Canary ? CanaryToken.New() : null;
        if (canary is not null) messages = WithCanary(messages, canary);
        var parameters = GenerationParameters.Read(request, models.Tokenizer);
        ToolCalling tools = ChatToolFields.Read(request.Tools, request.ToolChoice, request.ParallelToolCalls, models.Template);
        if (tools.CallsExpected && request.ResponseFormat?.Type is "json_object" or "json_schema")
            throw ApiError.BadRequest("Invalid 'response_format': it cannot be combined with tool calls; use tool_choice 'none' or drop it.",
                "response_format");
        int? maxTokens = request.MaxCompletionTokens ?? request.MaxTokens;
        if (maxTokens < 1)
        {
            string param = request.MaxCompletionTokens is not null ? "max_completion_tokens" : "max_tokens";
            throw ApiError.BadRequest($"Invalid '{param}': expected 1 or more, found {maxTokens}.", param, "invalid_value");
        }
        if (request.TopLogprobs is int top && (top < 0 || top > GenerationParameters.MaxTopLogprobs))
            throw ApiError.BadRequest($"Invalid 'top_logprobs': expected between 0 and {GenerationParameters.MaxTopLogprobs}, found {top}.", "top_logprobs",
                "invalid_value");
        if (request.TopLogprobs is not null && request.Logprobs != true)
            throw ApiError.BadRequest("Invalid 'top_logprobs': 'logprobs' must be true when 'top_logprobs' is given.", "top_logprobs");
        int? logprobs = request.Logprobs == true ? request.TopLogprobs ?? 0 : null;

        int[] prompt;
        try
        {
            prompt = tools.Encode(models.Template, models.Tokenizer, messages);
        }
        catch (ChatTemplateException e)
        {
            throw ApiError.BadRequest($"The chat template could not render these messages: {e.Message}", "messages");
        }
        if (prompt.Length > models.ContextLength)
            throw ApiError.BadRequest($"This model's context holds {models.ContextLength} tokens, but the messages take {prompt.Length} tokens.", "messages",
                "context_length_exceeded");

        var requests = new List<GenerationRequest>(parameters.N);
        for (int i = 0; i < parameters.N; i++)
        {
            GenerationRequest choice = parameters.RequestFor(i, prompt, maxTokens ?? models.ContextLength,
                logprobs ?? Logging.RequestLogRecord.LogprobsFor(context));
            requests.Add(tools.CallsExpected ? choice with { Constraint = tools.NewConstraint(models.Tokenizer) } : choice);
        }
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        await using ChoiceRun run = await ChoiceRun.StartAsync(models.Generator, requests, "messages", metrics, cancel.Token, logprobs is not null)
            .ConfigureAwait(false);
        metrics.TimeToFirstToken(run.TimeToFirstChunk);
        string id = ChatCompletion.NewId();
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var usage = new UsageTally(prompt.Length, requests.Count, requests.Count);
        CanaryFilter? filter = canary is null ? null : new CanaryFilter(canary, requests.Count);
        if (parameters.Stream)
            await ChoiceStreamer.StreamAsync(context, run, new ChatStream(id, created, models, run.LogprobsRequested, tools, run.Count),
                parameters.IncludeUsage, usage, filter, metrics).ConfigureAwait(false);
        else await WholeAsync(context, run, id, created, usage, tools, filter).ConfigureAwait(false);
        metrics.Tokens(prompt.Length, usage.CompletionTokens, usage.Usage().PromptTokensDetails.CachedTokens);
        Logging.RequestLogRecord.Of(context)?.Generated(models.GenerativeModelId, prompt.Length, usage.CompletionTokens, run,
            messages.LastOrDefault(m => m.Role == "user")?.Content);
    }

    private async Task WholeAsync(HttpContext context, ChoiceRun run, string id, long created, UsageTally usage, ToolCalling tools, CanaryFilter? filter)
    {
        CollectedChoices collected = await ChoiceCollector.CollectAsync(run, usage, context.RequestAborted, filter, metrics).ConfigureAwait(false);
        var choices = new List<ChatChoice>(collected.Choices.Count);
        for (int i = 0; i < collected.Choices.Count; i++)
        {
            CollectedChoice choice = collected.Choices[i];
            ChatLogprobs? logprobs = run.LogprobsRequested ? ChatLogprobs.Of(choice.Logprobs, models.Tokenizer) : null;
            AssistantMessage message = new(choice.Text);
            string finish = choice.FinishReason;
            if (tools.NewParser() is { } parser)
            {
                (string? content, IReadOnlyList<ChatToolCall> calls) = ToolCallParser.Parse(tools.Format, choice.Text);
                message = new AssistantMessage(content)
                {
                    ToolCalls = calls.Count == 0 ? null : [.. calls.Select(c => new FunctionToolCall(c.Id, new FunctionCall(c.Name, c.Arguments)))],
                };
                if (calls.Count > 0 && finish == "stop") finish = "tool_calls";
            }
            choices.Add(new ChatChoice(i, message, logprobs, finish));
        }
        var response = new ChatCompletion(id, created, models.GenerativeModelId, choices, collected.Usage);
        await JsonResponse.WriteAsync(context, response, OpenAIJsonContext.Default.ChatCompletion).ConfigureAwait(false);
    }

    /// <summary>Stream events are chunks with one choice each; a choice's first carries the role and content "" at least.</summary>
    private sealed class ChatStream(string id, long created, ServedModels models, bool logprobsRequested, ToolCalling tools, int choices)
        : IChoiceStreamShape<ChatCompletionChunk>
    {
        private readonly ToolCallParser?[] _parsers = [.. Enumerable.Range(0, choices).Select(_ => tools.NewParser())];

        public JsonTypeInfo<ChatCompletionChunk> Json => OpenAIJsonContext.Default.ChatCompletionChunk;

        public bool SendsFirstChunk => true;

        public IEnumerable<ChatCompletionChunk> Opening() => [];

        public ChatCompletionChunk Piece(int index, GenerationChunk chunk, string? finishReason, bool first)
        {
            ChatDelta delta;
            if (_parsers[index] is { } parser)
            {
                ToolCallUpdate update = parser.Push(chunk.Text);
                if (finishReason is not null)
                {
                    ToolCallUpdate rest = parser.Finish();
                    update = new ToolCallUpdate(update.Content + rest.Content, [.. update.Calls, .. rest.Calls]);
                    if (parser.CallCount > 0 && finishReason == "stop") finishReason = "tool_calls";
                }
                delta = new ChatDelta
                {
                    Role = first ? "assistant" : null,
                    Content = update.Content.Length > 0 || first ? update.Content : null,
                    ToolCalls = update.Calls.Count == 0 ? null : [.. update.Calls.Select(Piece)],
                };
            }
            else delta = new ChatDelta { Role = first ? "assistant" : null, Content = chunk.Text.Length > 0 || first ? chunk.Text : null };
            ChatLogprobs? logprobs = logprobsRequested && chunk.Logprobs is { } lp ? ChatLogprobs.Of(lp, models.Tokenizer) : null;
            return new ChatCompletionChunk(id, created, models.GenerativeModelId, [new ChatChunkChoice(index, delta, logprobs, finishReason)]);
        }

        private static FunctionToolCallChunk Piece(ToolCallDelta d) =>
            new(d.Index, d.Id, d.Id is null ? null : "function", new FunctionCallChunk(d.Name, d.Arguments));

        public ChatCompletionChunk UsageOnly(CompletionUsage usage) => new(id, created, models.GenerativeModelId, []) { Usage = usage };
    }

    /// <summary>What the guard reads: each user message and each tool result, by field.</summary>
    private static List<GuardedText> GuardedTexts(List<ChatMessage> messages)
    {
        var texts = new List<GuardedText>();
        for (int i = 0; i < messages.Count; i++)
        {
            if (messages[i].Role is "user" or "tool" && messages[i].Content.Length > 0)
                texts.Add(new GuardedText($"messages[{i}].content", messages[i].Content, ToolResult: messages[i].Role == "tool"));
        }
        return texts;
    }

    /// <summary>The canary's note appended to the first system message, or a system message of its own first.</summary>
    private static List<ChatMessage> WithCanary(List<ChatMessage> messages, CanaryToken canary)
    {
        if (messages[0].Role == "system") return [messages[0] with { Content = messages[0].Content + "\n" + canary.SystemNote }, .. messages.Skip(1)];
        return [new ChatMessage("system", canary.SystemNote), .. messages];
    }

    private static List<ChatMessage> ReadMessages(List<ChatMessageIn>? messages)
    {
        if (messages is null) throw ApiError.BadRequest("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
        if (messages.Count == 0)
            throw ApiError.BadRequest("Invalid 'messages': expected at least one message, found an empty array.", "messages", "empty_array");
        var list = new List<ChatMessage>(messages.Count);
        for (int i = 0; i < messages.Count; i++)
        {
            ChatMessageIn? m = messages[i];
            if (m is null) throw ApiError.BadRequest($"Invalid type for 'messages[{i}]': expected an object.", $"messages[{i}]", "invalid_type");
            string role = m.Role switch
            {
                null => throw ApiError.BadRequest($"Missing required parameter: 'messages[{i}].role'.", $"messages[{i}].role", "missing_required_parameter"),
                "system" or "user" or "assistant" or "tool" => m.Role,
                "developer" => "system",
                _ => throw ApiError.BadRequest($"Invalid value for 'messages[{i}].role': expected 'system', 'developer', 'user', 'assistant' or 'tool', " +
                    $"found '{m.Role}'.", $"messages[{i}].role", "invalid_value"),
            };
            list.Add(new ChatMessage(role, ContentOf(m.Content, i))
            {
                ToolCalls = ChatToolFields.ReadToolCalls(m.ToolCalls, i),
                ToolCallId = m.ToolCallId,
                Name = m.Name,
            });
        }
        return list;
    }

    private static string ContentOf(JsonElement? content, int i)
    {
        string param = $"messages[{i}].content";
        if (content is not { } c || c.ValueKind == JsonValueKind.Null) return "";
        if (c.ValueKind == JsonValueKind.String) return c.GetString()!;
        if (c.ValueKind != JsonValueKind.Array)
            throw ApiError.BadRequest($"Invalid type for '{param}': expected a string or an array of content parts.", param, "invalid_type");
        var text = new StringBuilder();
        int p = 0;
        foreach (JsonElement part in c.EnumerateArray())
        {
            string partParam = $"{param}[{p++}]";
            if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out JsonElement type) || type.ValueKind != JsonValueKind.String)
                throw ApiError.BadRequest($"Invalid '{partParam}': expected an object with a 'type'.", partParam, "invalid_type");
            if (type.GetString() != "text")
                throw ApiError.BadRequest($"Invalid '{partParam}.type': this model reads text only, found '{type.GetString()}'.", $"{partParam}.type",
                    "invalid_value");
            if (!part.TryGetProperty("text", out JsonElement value) || value.ValueKind != JsonValueKind.String)
                throw ApiError.BadRequest($"Invalid '{partParam}.text': expected a string.", $"{partParam}.text", "invalid_type");
            text.Append(value.GetString());
        }
        return text.ToString();
    }
}
