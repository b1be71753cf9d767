// POST /v1/chat/completions: messages rendered with the model's chat template, n choices, whole or streamed; not the engine.
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Quill.Generation;
using Quill.OpenAI;
using Quill.Server.Contracts;
using Quill.Tokenizers.ChatTemplates;

namespace Quill.Server.Endpoints;

/// <summary>
/// Messages are {role, content} with content a string or a list of text parts; roles pass to the template as given
/// ("developer" becomes "system"). max_completion_tokens (or max_tokens) defaults to the rest of the context.
/// </summary>
internal sealed class ChatCompletionsEndpoint(ServedModels models, ServerMetrics metrics, CancellationToken stopping)
{
    public async Task HandleAsync(HttpContext context)
    {
        ChatCompletionRequest request = await RequestBody.ReadAsync(context, ServerJsonContext.Default.ChatCompletionRequest).ConfigureAwait(false);
        models.RequireGenerative(request.Model);
        List<ChatMessage> messages = ReadMessages(request.Messages);
        var parameters = GenerationParameters.Read(request, models.Tokenizer);
        int? maxTokens = request.MaxCompletionTokens ?? request.MaxTokens;
        if (maxTokens < 1)
        {
            string param = request.MaxCompletionTokens is not null ? "max_completion_tokens" : "max_tokens";
            throw ApiError.BadRequest($"Invalid '{param}': expected 1 or more, found {maxTokens}.", param, "invalid_value");
        }
        if (request.TopLogprobs is int top && (top < 0 || top > GenerationParameters.MaxTopLogprobs))
            throw ApiError.BadRequest($"Invalid 'top_logprobs': expected between 0 and {GenerationParameters.MaxTopLogprobs}, found {top}.", "top_logprobs", "invalid_value");
        if (request.TopLogprobs is not null && request.Logprobs != true)
            throw ApiError.BadRequest("Invalid 'top_logprobs': 'logprobs' must be true when 'top_logprobs' is given.", "top_logprobs");
        int? logprobs = request.Logprobs == true ? request.TopLogprobs ?? 0 : null;

        int[] prompt;
        try
        {
            prompt = models.ChatPromptTokens(messages);
        }
        catch (ChatTemplateException e)
        {
            throw ApiError.BadRequest($"The chat template could not render these messages: {e.Message}", "messages");
        }
        if (prompt.Length > models.ContextLength)
            throw ApiError.BadRequest($"This model's context holds {models.ContextLength} tokens, but the messages take {prompt.Length} tokens.", "messages", "context_length_exceeded");

        var requests = new List<GenerationRequest>(parameters.N);
        for (int i = 0; i < parameters.N; i++) requests.Add(parameters.RequestFor(i, prompt, maxTokens ?? models.ContextLength, logprobs));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        await using ChoiceRun run = await ChoiceRun.StartAsync(models.Generator, requests, "messages", metrics, cancel.Token).ConfigureAwait(false);
        metrics.TimeToFirstToken(run.TimeToFirstChunk);
        string id = ChatCompletion.NewId();
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        int completionTokens = parameters.Stream
            ? await StreamAsync(context, run, id, created, parameters, prompt.Length).ConfigureAwait(false)
            : await WholeAsync(context, run, id, created, parameters.N, prompt.Length).ConfigureAwait(false);
        metrics.Tokens(prompt.Length, completionTokens);
    }

    private async Task<int> WholeAsync(HttpContext context, ChoiceRun run, string id, long created, int n, int promptTokens)
    {
        var texts = new StringBuilder[n];
        var logprobs = new List<ChatTokenLogprob>?[n];
        var finish = new string[n];
        int completionTokens = 0;
        for (int i = 0; i < n; i++) texts[i] = new StringBuilder();
        await foreach (var (index, chunk) in run.ReadAllAsync(context.RequestAborted).ConfigureAwait(false))
        {
            texts[index].Append(chunk.Text);
            if (chunk.Logprobs is { } lp) (logprobs[index] ??= []).AddRange(ChatLogprobs.Of(lp, models.Tokenizer).Content);
            if (chunk.FinishReason is { } reason)
            {
                finish[index] = OpenAIFinishReason.Of(reason);
                completionTokens += chunk.Usage?.CompletionTokens ?? 0;
            }
        }
        bool wantLogprobs = run.LogprobsRequested;
        var choices = new List<ChatChoice>(n);
        for (int i = 0; i < n; i++)
        {
            ChatLogprobs? lp = wantLogprobs ? new ChatLogprobs(logprobs[i] ?? []) : null;
            choices.Add(new ChatChoice(i, new AssistantMessage(texts[i].ToString()), lp, finish[i] ?? "stop"));
        }
        var response = new ChatCompletion(id, created, models.GenerativeModelId, choices, new CompletionUsage(promptTokens, completionTokens));
        await JsonResponse.WriteAsync(context, response, OpenAIJsonContext.Default.ChatCompletion).ConfigureAwait(false);
        return completionTokens;
    }

    private async Task<int> StreamAsync(HttpContext context, ChoiceRun run, string id, long created, GenerationParameters parameters, int promptTokens)
    {
        await ServerSentEvents.BeginAsync(context).ConfigureAwait(false);
        var roleSent = new bool[parameters.N];
        int completionTokens = 0;
        bool wantLogprobs = run.LogprobsRequested;
        await foreach (var (index, chunk) in run.ReadAllAsync(context.RequestAborted).ConfigureAwait(false))
        {
            bool first = !roleSent[index];
            roleSent[index] = true;
            string? finish = chunk.FinishReason is { } reason ? OpenAIFinishReason.Of(reason) : null;
            if (chunk.FinishReason is not null) completionTokens += chunk.Usage?.CompletionTokens ?? 0;
            if (!first && chunk.Text.Length == 0 && finish is null && chunk.Logprobs is null) continue;
            var delta = new ChatDelta { Role = first ? "assistant" : null, Content = chunk.Text.Length > 0 || first ? chunk.Text : null };
            ChatLogprobs? logprobs = wantLogprobs && chunk.Logprobs is { } lp ? ChatLogprobs.Of(lp, models.Tokenizer) : null;
            var update = new ChatCompletionChunk(id, created, models.GenerativeModelId, [new ChatChunkChoice(index, delta, logprobs, finish)]);
            await ServerSentEvents.WriteAsync(context, update, OpenAIJsonContext.Default.ChatCompletionChunk).ConfigureAwait(false);
        }
        if (parameters.IncludeUsage)
        {
            var usage = new ChatCompletionChunk(id, created, models.GenerativeModelId, []) { Usage = new CompletionUsage(promptTokens, completionTokens) };
            await ServerSentEvents.WriteAsync(context, usage, OpenAIJsonContext.Default.ChatCompletionChunk).ConfigureAwait(false);
        }
        await ServerSentEvents.DoneAsync(context).ConfigureAwait(false);
        return completionTokens;
    }

    private static List<ChatMessage> ReadMessages(List<ChatMessageIn>? messages)
    {
        if (messages is null) throw ApiError.BadRequest("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
        if (messages.Count == 0) throw ApiError.BadRequest("Invalid 'messages': expected at least one message, found an empty array.", "messages", "empty_array");
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
                _ => throw ApiError.BadRequest($"Invalid value for 'messages[{i}].role': expected 'system', 'developer', 'user', 'assistant' or 'tool', found '{m.Role}'.", $"messages[{i}].role", "invalid_value"),
            };
            list.Add(new ChatMessage(role, ContentOf(m.Content, i)));
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
                throw ApiError.BadRequest($"Invalid '{partParam}.type': this model reads text only, found '{type.GetString()}'.", $"{partParam}.type", "invalid_value");
            if (!part.TryGetProperty("text", out JsonElement value) || value.ValueKind != JsonValueKind.String)
                throw ApiError.BadRequest($"Invalid '{partParam}.text': expected a string.", $"{partParam}.text", "invalid_type");
            text.Append(value.GetString());
        }
        return text.ToString();
    }
}
