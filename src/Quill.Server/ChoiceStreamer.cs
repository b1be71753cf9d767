// Streams a ChoiceRun as OpenAI server-sent events, the one loop both generation endpoints share; each supplies its chunk shape.
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Quill.Generation;
using Quill.OpenAI;
using Quill.Server.Guard;

namespace Quill.Server;

/// <summary>What one endpoint's stream events look like (text_completion or chat.completion.chunk); the loop is <see cref="ChoiceStreamer"/>'s.</summary>
internal interface IChoiceStreamShape<TChunk>
{
    JsonTypeInfo<TChunk> Json { get; }

    /// <summary>True when a choice's first chunk is sent even when it carries nothing (chat's, which carries the role).</summary>
    bool SendsFirstChunk { get; }

    /// <summary>Events sent before any generated one (completions' echoed prompts).</summary>
    IEnumerable<TChunk> Opening();

    /// <summary>The event of choice <paramref name="index"/>'s <paramref name="chunk"/>; <paramref name="first"/> on the choice's first.</summary>
    TChunk Piece(int index, GenerationChunk chunk, string? finishReason, bool first);

    /// <summary>The extra last event stream_options.include_usage asks for: no choices, only usage.</summary>
    TChunk UsageOnly(CompletionUsage usage);
}

/// <summary>
/// Sends the headers, the shape's opening events, then one event per chunk as the choices produce them (a chunk with
/// no text, logprobs or finish is skipped), the usage event when asked for, and [DONE]. With a <see cref="CanaryFilter"/>,
/// a choice that leaks the canary gets the text before it and finish_reason "content_filter", and nothing more.
/// </summary>
internal static class ChoiceStreamer
{
    /// <summary>Streams <paramref name="run"/> to its end, counting usage in <paramref name="usage"/>.</summary>
    public static async Task StreamAsync<TChunk>(HttpContext context, ChoiceRun run, IChoiceStreamShape<TChunk> shape, bool includeUsage, UsageTally usage,
        CanaryFilter? canary = null, ServerMetrics? metrics = null)
    {
        await ServerSentEvents.BeginAsync(context).ConfigureAwait(false);
        foreach (TChunk opening in shape.Opening())
        {
            await ServerSentEvents.WriteAsync(context, opening, shape.Json).ConfigureAwait(false);
        }
        var started = new bool[run.Count];
        int finished = 0;
        await foreach (var (index, generated) in run.ReadAllAsync(context.RequestAborted).ConfigureAwait(false))
        {
            if (canary?.Leaked(index) == true) continue;
            GenerationChunk chunk = generated;
            bool first = !started[index];
            started[index] = true;
            string? finish = chunk.FinishReason is { } reason ? OpenAIFinishReason.Of(reason) : null;
            if (canary?.Push(index, chunk.Text) is (string shown, true))
            {
                chunk = chunk with { Text = shown };
                finish = CanaryFilter.FinishReason;
                metrics?.CanaryLeaked();
            }
            if (finish is not null)
            {
                usage.Add(index, chunk.Usage);
                finished++;
            }
            bool empty = chunk.Text.Length == 0 && finish is null && chunk.Logprobs is null;
            if (empty && !(first && shape.SendsFirstChunk))
            {
                continue;
            }
            await ServerSentEvents.WriteAsync(context, shape.Piece(index, chunk, finish, first), shape.Json).ConfigureAwait(false);
            if (finished == run.Count) break; // every choice has finished (a leaked one before its generation did)
        }
        if (includeUsage)
        {
            await ServerSentEvents.WriteAsync(context, shape.UsageOnly(usage.Usage()), shape.Json).ConfigureAwait(false);
        }
        await ServerSentEvents.DoneAsync(context).ConfigureAwait(false);
    }
}
