// POST /v1/completions: OpenAI's legacy text completions over one or several prompts, whole or streamed; not chat.
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Quill.Generation;
using Quill.OpenAI;
using Quill.Server.Contracts;

namespace Quill.Server.Endpoints;

/// <summary>
/// prompt is a string, a list of strings, a list of token ids or a list of such lists; text is encoded with BOS and
/// special-token parsing (so a prompt may spell the template's tokens). Choice index = prompt index × n + i.
/// max_tokens defaults to 16 as OpenAI's. echo prepends the prompt; suffix and best_of &gt; 1 are refused.
/// </summary>
internal sealed class CompletionsEndpoint(ServedModels models, ServerMetrics metrics, CancellationToken stopping)
{
    public const int DefaultMaxTokens = 16;

    private sealed record Prompt(int[] Tokens, string Text);

    public async Task HandleAsync(HttpContext context)
    {
        CompletionRequest request = await RequestBody.ReadAsync(context, ServerJsonContext.Default.CompletionRequest).ConfigureAwait(false);
        models.RequireGenerative(request.Model);
        List<Prompt> prompts = ReadPrompts(request.Prompt);
        var parameters = GenerationParameters.Read(request, models.Tokenizer);
        int maxTokens = request.MaxTokens ?? DefaultMaxTokens;
        if (maxTokens < 0) throw ApiError.BadRequest($"Invalid 'max_tokens': expected 0 or more, found {maxTokens}.", "max_tokens", "invalid_value");
        if (request.Logprobs is int lp && (lp < 0 || lp > GenerationParameters.MaxTopLogprobs))
            throw ApiError.BadRequest($"Invalid 'logprobs': expected between 0 and {GenerationParameters.MaxTopLogprobs}, found {lp}.", "logprobs", "invalid_value");
        if (request.Suffix is { Length: > 0 }) throw ApiError.BadRequest("Invalid 'suffix': insertion is not supported by this server.", "suffix", "unsupported_parameter");
        if (request.BestOf is int bestOf && bestOf != 1 && bestOf != parameters.N)
            throw ApiError.BadRequest("Invalid 'best_of': only 1 (or equal to n) is supported by this server.", "best_of", "unsupported_parameter");
        bool echo = request.Echo ?? false;
        if (echo && request.Logprobs is not null)
            throw ApiError.BadRequest("Invalid 'echo': echo with logprobs (prompt logprobs) is not supported by this server.", "echo", "unsupported_parameter");

        var requests = new List<GenerationRequest>(prompts.Count * parameters.N);
        int promptTokens = 0;
        for (int p = 0; p < prompts.Count; p++)
        {
            Prompt prompt = prompts[p];
            if (prompt.Tokens.Length > models.ContextLength)
                throw ApiError.BadRequest($"This model's context holds {models.ContextLength} tokens, but the prompt takes {prompt.Tokens.Length} tokens.",
                    prompts.Count == 1 ? "prompt" : $"prompt[{p}]", "context_length_exceeded");
            promptTokens += prompt.Tokens.Length;
            for (int i = 0; i < parameters.N; i++) requests.Add(parameters.RequestFor(i, prompt.Tokens, maxTokens, request.Logprobs));
        }
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        await using ChoiceRun run = await ChoiceRun.StartAsync(models.Generator, requests, "prompt", metrics, cancel.Token).ConfigureAwait(false);
        metrics.TimeToFirstToken(run.TimeToFirstChunk);
        var echoes = new string[requests.Count];
        for (int i = 0; i < echoes.Length; i++) echoes[i] = echo ? prompts[i / parameters.N].Text : "";
        var response = TextCompletion.Create(models.GenerativeModelId, []);
        int completionTokens = parameters.Stream
            ? await StreamAsync(context, run, response, echoes, parameters.IncludeUsage, promptTokens).ConfigureAwait(false)
            : await WholeAsync(context, run, response, echoes, promptTokens).ConfigureAwait(false);
        metrics.Tokens(promptTokens, completionTokens);
    }

    private static async Task<int> WholeAsync(HttpContext context, ChoiceRun run, TextCompletion response, string[] echoes, int promptTokens)
    {
        int n = echoes.Length, completionTokens = 0;
        var texts = new StringBuilder[n];
        var logprobs = new TextLogprobs?[n];
        var offsets = new int[n];
        var finish = new string[n];
        for (int i = 0; i < n; i++)
        {
            texts[i] = new StringBuilder(echoes[i]);
            offsets[i] = echoes[i].Length;
            if (run.LogprobsRequested) logprobs[i] = TextLogprobs.Empty();
        }
        await foreach (var (index, chunk) in run.ReadAllAsync(context.RequestAborted).ConfigureAwait(false))
        {
            texts[index].Append(chunk.Text);
            if (chunk.Logprobs is { } lp)
            {
                TextLogprobs more = TextLogprobs.Of(lp, ref offsets[index]);
                TextLogprobs into = logprobs[index]!;
                into.Tokens.AddRange(more.Tokens);
                into.TokenLogprobs.AddRange(more.TokenLogprobs);
                into.TopLogprobs.AddRange(more.TopLogprobs);
                into.TextOffset.AddRange(more.TextOffset);
            }
            if (chunk.FinishReason is { } reason)
            {
                finish[index] = OpenAIFinishReason.Of(reason);
                completionTokens += chunk.Usage?.CompletionTokens ?? 0;
            }
        }
        var choices = new List<TextChoice>(n);
        for (int i = 0; i < n; i++) choices.Add(new TextChoice(texts[i].ToString(), i, logprobs[i], finish[i] ?? "stop"));
        await JsonResponse.WriteAsync(context, response with { Choices = choices, Usage = new CompletionUsage(promptTokens, completionTokens) },
            OpenAIJsonContext.Default.TextCompletion).ConfigureAwait(false);
        return completionTokens;
    }

    private static async Task<int> StreamAsync(HttpContext context, ChoiceRun run, TextCompletion response, string[] echoes, bool includeUsage, int promptTokens)
    {
        await ServerSentEvents.BeginAsync(context).ConfigureAwait(false);
        int completionTokens = 0;
        var offsets = new int[echoes.Length];
        for (int i = 0; i < echoes.Length; i++)
        {
            offsets[i] = echoes[i].Length;
            if (echoes[i].Length > 0)
                await ServerSentEvents.WriteAsync(context, response with { Choices = [new TextChoice(echoes[i], i, null, null)] }, OpenAIJsonContext.Default.TextCompletion).ConfigureAwait(false);
        }
        await foreach (var (index, chunk) in run.ReadAllAsync(context.RequestAborted).ConfigureAwait(false))
        {
            string? finish = chunk.FinishReason is { } reason ? OpenAIFinishReason.Of(reason) : null;
            if (finish is not null) completionTokens += chunk.Usage?.CompletionTokens ?? 0;
            if (chunk.Text.Length == 0 && finish is null && chunk.Logprobs is null) continue;
            TextLogprobs? logprobs = chunk.Logprobs is { } lp ? TextLogprobs.Of(lp, ref offsets[index])
                : run.LogprobsRequested ? TextLogprobs.Empty() : null;
            await ServerSentEvents.WriteAsync(context, response with { Choices = [new TextChoice(chunk.Text, index, logprobs, finish)] },
                OpenAIJsonContext.Default.TextCompletion).ConfigureAwait(false);
        }
        if (includeUsage)
            await ServerSentEvents.WriteAsync(context, response with { Usage = new CompletionUsage(promptTokens, completionTokens) }, OpenAIJsonContext.Default.TextCompletion).ConfigureAwait(false);
        await ServerSentEvents.DoneAsync(context).ConfigureAwait(false);
        return completionTokens;
    }

    private List<Prompt> ReadPrompts(JsonElement? prompt)
    {
        if (prompt is not { } p || p.ValueKind == JsonValueKind.Null)
            throw ApiError.BadRequest("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter");
        if (p.ValueKind == JsonValueKind.String) return [FromText(p.GetString()!)];
        if (p.ValueKind != JsonValueKind.Array) throw PromptType("prompt");
        if (p.GetArrayLength() == 0) throw ApiError.BadRequest("Invalid 'prompt': expected at least one prompt, found an empty array.", "prompt", "empty_array");
        JsonValueKind kind = p[0].ValueKind;
        if (kind == JsonValueKind.Number) return [FromTokens(p, "prompt")];
        var list = new List<Prompt>();
        int i = 0;
        foreach (JsonElement item in p.EnumerateArray())
        {
            string param = $"prompt[{i++}]";
            if (item.ValueKind != kind) throw PromptType(param);
            list.Add(kind switch
            {
                JsonValueKind.String => FromText(item.GetString()!),
                JsonValueKind.Array => FromTokens(item, param),
                _ => throw PromptType(param),
            });
        }
        return list;
    }

    private Prompt FromText(string text) => new(models.Tokenizer.Encode(text, addSpecial: true, parseSpecial: true), text);

    private Prompt FromTokens(JsonElement tokens, string param)
    {
        var ids = new int[tokens.GetArrayLength()];
        int vocab = models.Tokenizer.VocabSize, i = 0;
        foreach (JsonElement token in tokens.EnumerateArray())
        {
            if (token.ValueKind != JsonValueKind.Number || !token.TryGetInt32(out int id)) throw PromptType($"{param}[{i}]");
            if ((uint)id >= (uint)vocab)
                throw ApiError.BadRequest($"Invalid '{param}[{i}]': token ids must be in [0, {vocab}), found {id}.", $"{param}[{i}]", "invalid_value");
            ids[i++] = id;
        }
        if (ids.Length == 0) throw ApiError.BadRequest($"Invalid '{param}': expected at least one token, found none.", param, "empty_array");
        return new Prompt(ids, models.Tokenizer.Decode(ids));
    }

    private static ApiError PromptType(string param) => ApiError.BadRequest(
        $"Invalid type for '{param}': expected a string, an array of strings, an array of token ids or an array of token-id arrays.", param, "invalid_type");
}
