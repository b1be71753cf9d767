// POST /v1/completions: OpenAI's legacy text completions over one or several prompts, whole or streamed.
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Quill.Generation;
using Quill.OpenAI;
using Quill.Server.Contracts;
using Quill.Server.Guard;

namespace Quill.Server.Endpoints;

/// <summary>
/// prompt is a string, a list of strings, a list of token ids or a list of such lists; text is encoded with BOS and
/// special-token parsing (so a prompt may spell the template's tokens). Choice index = prompt index × n + i.
/// max_tokens defaults to 16 as OpenAI's. echo prepends the prompt; suffix and best_of &gt; 1 are refused.
/// </summary>
internal sealed class CompletionsEndpoint(ServedModels models, ServerMetrics metrics, RequestGuard guard, CancellationToken stopping)
{
    public const int DefaultMaxTokens = 16;

    private sealed record Prompt(int[] Tokens, string Text);

    public async Task HandleAsync(HttpContext context)
    {
        CompletionRequest request = await RequestBody.ReadAsync(context, ServerJsonContext.Default.CompletionRequest).ConfigureAwait(false);
        models.RequireGenerative(request.Model);
        List<Prompt> prompts = ReadPrompts(request.Prompt);
        guard.Check(context, [.. prompts.Select((p, i) => new GuardedText(prompts.Count == 1 ? "prompt" : $"prompt[{i}]", p.Text, ToolResult: false))]);
        var parameters = GenerationParameters.Read(request, models.Tokenizer);
        int maxTokens = request.MaxTokens ?? DefaultMaxTokens;
        if (maxTokens < 0) throw ApiError.BadRequest($"Invalid 'max_tokens': expected 0 or more, found {maxTokens}.", "max_tokens", "invalid_value");
        if (request.Logprobs is int lp && (lp < 0 || lp > GenerationParameters.MaxTopLogprobs))
            throw ApiError.BadRequest($"Invalid 'logprobs': expected between 0 and {GenerationParameters.MaxTopLogprobs}, found {lp}.", "logprobs",
                "invalid_value");
        if (request.Suffix is { Length: > 0 })
            throw ApiError.BadRequest("Invalid 'suffix': insertion is not supported by this server.", "suffix", "unsupported_parameter");
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
            int? logprobs = request.Logprobs ?? Logging.RequestLogRecord.LogprobsFor(context);
            for (int i = 0; i < parameters.N; i++) requests.Add(parameters.RequestFor(i, prompt.Tokens, maxTokens, logprobs));
        }
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        await using ChoiceRun run = await ChoiceRun.StartAsync(models.Generator, requests, "prompt", metrics, cancel.Token, request.Logprobs is not null)
            .ConfigureAwait(false);
        metrics.TimeToFirstToken(run.TimeToFirstChunk);
        var echoes = new string[requests.Count];
        for (int i = 0; i < echoes.Length; i++) echoes[i] = echo ? prompts[i / parameters.N].Text : "";
        var response = TextCompletion.Create(models.GenerativeModelId, []);
        var usage = new UsageTally(promptTokens, requests.Count, parameters.N);
        if (parameters.Stream)
            await ChoiceStreamer.StreamAsync(context, run, new TextStream(response, echoes, run.LogprobsRequested), parameters.IncludeUsage, usage)
                .ConfigureAwait(false);
        else await WholeAsync(context, run, response, echoes, usage).ConfigureAwait(false);
        metrics.Tokens(promptTokens, usage.CompletionTokens, usage.Usage().PromptTokensDetails.CachedTokens);
        Logging.RequestLogRecord.Of(context)?.Generated(models.GenerativeModelId, promptTokens, usage.CompletionTokens, run,
            string.Join("\n", prompts.Select(p => p.Text)));
    }

    private static async Task WholeAsync(HttpContext context, ChoiceRun run, TextCompletion response, string[] echoes, UsageTally usage)
    {
        CollectedChoices collected = await ChoiceCollector.CollectAsync(run, usage, context.RequestAborted).ConfigureAwait(false);
        var choices = new List<TextChoice>(echoes.Length);
        for (int i = 0; i < echoes.Length; i++)
        {
            CollectedChoice choice = collected.Choices[i];
            int offset = echoes[i].Length;
            TextLogprobs? logprobs = run.LogprobsRequested ? TextLogprobs.Of(choice.Logprobs, ref offset) : null;
            choices.Add(new TextChoice(echoes[i] + choice.Text, i, logprobs, choice.FinishReason));
        }
        var whole = response with { Choices = choices, Usage = collected.Usage };
        await JsonResponse.WriteAsync(context, whole, OpenAIJsonContext.Default.TextCompletion).ConfigureAwait(false);
    }

    /// <summary>
    /// Stream events are <paramref name="response"/> with one choice each: first every non-empty echo, then the pieces;
    /// text_offset counts on from the echo, and a piece without tokens has empty logprobs lists when they were asked for.
    /// </summary>
    private sealed class TextStream(TextCompletion response, string[] echoes, bool logprobsRequested) : IChoiceStreamShape<TextCompletion>
    {
        private readonly int[] _offsets = [.. echoes.Select(e => e.Length)];

        public JsonTypeInfo<TextCompletion> Json => OpenAIJsonContext.Default.TextCompletion;

        public bool SendsFirstChunk => false;

        public IEnumerable<TextCompletion> Opening()
        {
            for (int i = 0; i < echoes.Length; i++)
            {
                if (echoes[i].Length > 0)
                {
                    yield return response with { Choices = [new TextChoice(echoes[i], i, null, null)] };
                }
            }
        }

        public TextCompletion Piece(int index, GenerationChunk chunk, string? finishReason, bool first)
        {
            TextLogprobs? logprobs = logprobsRequested && chunk.Logprobs is { } lp ? TextLogprobs.Of(lp, ref _offsets[index])
                : logprobsRequested ? TextLogprobs.Empty() : null;
            return response with { Choices = [new TextChoice(chunk.Text, index, logprobs, finishReason)] };
        }

        public TextCompletion UsageOnly(CompletionUsage usage) => response with { Usage = usage };
    }

    private List<Prompt> ReadPrompts(JsonElement? prompt)
    {
        if (prompt is not { } p || p.ValueKind == JsonValueKind.Null)
            throw ApiError.BadRequest("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter");
        if (p.ValueKind == JsonValueKind.String) return [FromText(p.GetString()!)];
        if (p.ValueKind != JsonValueKind.Array) throw PromptType("prompt");
        if (p.GetArrayLength() == 0)
            throw ApiError.BadRequest("Invalid 'prompt': expected at least one prompt, found an empty array.", "prompt", "empty_array");
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
