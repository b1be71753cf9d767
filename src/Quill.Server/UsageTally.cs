// Adds up the finish chunks of a ChoiceRun's choices into OpenAI's usage object, for the whole response and the streamed usage event alike.
using Quill.Generation;
using Quill.OpenAI;

namespace Quill.Server;

/// <summary>
/// Completion tokens are summed over every choice. prompt_tokens counts each prompt once however many choices it has,
/// so cached_tokens does too: per prompt, the fewest any of its choices (each in its own slot) took from a cache.
/// Choice i belongs to prompt i / <paramref name="choicesPerPrompt"/>.
/// </summary>
internal sealed class UsageTally(int promptTokens, int choices, int choicesPerPrompt)
{
    private readonly int[] _cached = new int[choices];          // (choices) cached prompt tokens each reported
    private readonly bool[] _reported = new bool[choices];

    public int CompletionTokens { get; private set; }

    /// <summary>Counts the usage of choice <paramref name="index"/>'s last chunk.</summary>
    public void Add(int index, GenerationUsage? usage)
    {
        if (usage is null) return;
        CompletionTokens += usage.CompletionTokens;
        _cached[index] = usage.CachedTokens;
        _reported[index] = true;
    }

    /// <summary>The usage object; a choice that never reported counts as nothing cached.</summary>
    public CompletionUsage Usage()
    {
        int cached = 0;
        for (int start = 0; start < _cached.Length; start += choicesPerPrompt)
        {
            int fewest = int.MaxValue;
            for (int i = start; i < Math.Min(start + choicesPerPrompt, _cached.Length); i++) fewest = Math.Min(fewest, _reported[i] ? _cached[i] : 0);
            cached += fewest;
        }
        return new CompletionUsage(promptTokens, CompletionTokens) { PromptTokensDetails = new PromptTokensDetails(cached) };
    }
}
