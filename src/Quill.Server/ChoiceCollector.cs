// Collects the streamed chunks of a ChoiceRun into whole choices (text, logprobs, finish reason) for both generation endpoints.
using System.Text;
using Quill.Generation;
using Quill.OpenAI;
using Quill.Server.Guard;

namespace Quill.Server;

/// <summary>One choice's whole text, its token logprobs (empty when none were asked for) and OpenAI's finish_reason.</summary>
internal sealed record CollectedChoice(string Text, IReadOnlyList<TokenLogprob> Logprobs, string FinishReason);

/// <summary>Every choice of a run, by index, and the usage of them all.</summary>
internal sealed record CollectedChoices(IReadOnlyList<CollectedChoice> Choices, CompletionUsage Usage);

/// <summary>The non-streamed side of <see cref="ChoiceStreamer"/>: the endpoint shapes the collected choices as its JSON.</summary>
internal static class ChoiceCollector
{
    /// <summary>
    /// Reads <paramref name="run"/> to its end, counting usage in <paramref name="usage"/>; a choice that never
    /// reported a finish reads as "stop". With a <see cref="CanaryFilter"/>, a choice that leaks the canary keeps the text
    /// before it and finishes with "content_filter".
    /// </summary>
    public static async Task<CollectedChoices> CollectAsync(ChoiceRun run, UsageTally usage, CancellationToken ct, CanaryFilter? canary = null,
        ServerMetrics? metrics = null)
    {
        int n = run.Count;
        var texts = new StringBuilder[n];
        var logprobs = new List<TokenLogprob>[n];
        var finish = new string?[n];
        for (int i = 0; i < n; i++)
        {
            texts[i] = new StringBuilder();
            logprobs[i] = [];
        }
        int finished = 0;
        await foreach (var (index, chunk) in run.ReadAllAsync(ct).ConfigureAwait(false))
        {
            if (canary?.Leaked(index) == true) continue;
            if (canary?.Push(index, chunk.Text) is (string shown, true))
            {
                texts[index].Append(shown);
                finish[index] = CanaryFilter.FinishReason;
                metrics?.CanaryLeaked();
                if (++finished == n) break;
                continue;
            }
            texts[index].Append(chunk.Text);
            if (chunk.Logprobs is { } lp)
            {
                logprobs[index].AddRange(lp);
            }
            if (chunk.FinishReason is { } reason)
            {
                finish[index] = OpenAIFinishReason.Of(reason);
                usage.Add(index, chunk.Usage);
                finished++;
            }
        }
        var choices = new CollectedChoice[n];
        for (int i = 0; i < n; i++)
        {
            choices[i] = new CollectedChoice(texts[i].ToString(), logprobs[i], finish[i] ?? "stop");
        }
        return new CollectedChoices(choices, usage.Usage());
    }
}
