// OpenAI's `text_completion` object (the legacy Completions API), as the CLI's --json and the server write it; not the request.
using System.Text.Json.Serialization;
using Quill.Generation;

namespace Quill.OpenAI;

/// <summary>
/// A whole response, or one stream chunk (the same object, with a piece of text per choice). Written with
/// <see cref="OpenAIJsonContext"/>: snake_case names, nulls written, usage left out where it is null (stream chunks).
/// </summary>
public sealed record TextCompletion(string Id, long Created, string Model, List<TextChoice> Choices)
{
    public string Object => "text_completion";
    public string? SystemFingerprint => null;

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CompletionUsage? Usage { get; init; }

    /// <summary>A completion of <paramref name="model"/> with a fresh id ("cmpl-" and 32 hex digits) and the current time.</summary>
    public static TextCompletion Create(string model, List<TextChoice> choices) =>
        new($"cmpl-{Guid.NewGuid():N}", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), model, choices);
}

/// <summary>Choice <paramref name="Index"/>; <paramref name="FinishReason"/> is null on stream chunks before the last.</summary>
public sealed record TextChoice(string Text, int Index, TextLogprobs? Logprobs, string? FinishReason);

/// <summary>Legacy logprobs: parallel lists per generated token.</summary>
public sealed record TextLogprobs(List<string> Tokens, List<float> TokenLogprobs, List<Dictionary<string, float>> TopLogprobs, List<int> TextOffset)
{
    /// <summary>No tokens (a chunk without any, when logprobs were asked for).</summary>
    public static TextLogprobs Empty() => new([], [], [], []);

    /// <summary>
    /// Tokens, token_logprobs, top_logprobs (text → logprob; alternatives that decode alike keep the first, the most
    /// likely) and text_offset, counted from <paramref name="offset"/> and advanced past the tokens.
    /// </summary>
    public static TextLogprobs Of(IReadOnlyList<TokenLogprob> tokens, ref int offset)
    {
        var result = Empty();
        foreach (TokenLogprob t in tokens)
        {
            result.Tokens.Add(t.Text);
            result.TokenLogprobs.Add(t.Logprob);
            var top = new Dictionary<string, float>(t.TopLogprobs.Count);
            foreach (TopLogprob a in t.TopLogprobs)
            {
                top.TryAdd(a.Text, a.Logprob);
            }
            result.TopLogprobs.Add(top);
            result.TextOffset.Add(offset);
            offset += t.Text.Length;
        }
        return result;
    }
}
