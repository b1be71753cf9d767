// OpenAI's `chat.completion` object and its `chat.completion.chunk` stream pieces, as the server writes them; not the request.
using System.Text.Json.Serialization;
using Quill.Generation;
using Quill.Tokenizers;

namespace Quill.OpenAI;

/// <summary>A whole chat response. Written with <see cref="OpenAIJsonContext"/>: snake_case names, nulls written.</summary>
public sealed record ChatCompletion(string Id, long Created, string Model, List<ChatChoice> Choices, CompletionUsage Usage)
{
    public string Object => "chat.completion";
    public string? SystemFingerprint => null;

    /// <summary>A fresh id: "chatcmpl-" and 32 hex digits.</summary>
    public static string NewId() => $"chatcmpl-{Guid.NewGuid():N}";
}

public sealed record ChatChoice(int Index, AssistantMessage Message, ChatLogprobs? Logprobs, string FinishReason);

/// <summary>The reply: <paramref name="Content"/> is null when the reply is only tool calls.</summary>
public sealed record AssistantMessage(string? Content)
{
    public string Role => "assistant";
    public string? Refusal => null;

    /// <summary>The calls the model made (absent when none).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<FunctionToolCall>? ToolCalls { get; init; }
}

/// <summary>One call in a reply: {id, type: "function", function: {name, arguments}}; arguments is JSON text.</summary>
public sealed record FunctionToolCall(string Id, FunctionCall Function)
{
    public string Type => "function";
}

/// <summary>The function called and its arguments as a JSON string.</summary>
public sealed record FunctionCall(string Name, string Arguments);

/// <summary>A streamed piece of call <paramref name="Index"/>: id, type and name on its first piece, arguments text on every piece.</summary>
public sealed record FunctionToolCallChunk(int Index, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Id,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Type, FunctionCallChunk Function);

/// <summary>The function name (first piece only) and a piece of the arguments text.</summary>
public sealed record FunctionCallChunk([property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Name, string Arguments);

public sealed record ChatCompletionChunk(string Id, long Created, string Model, List<ChatChunkChoice> Choices)
{
    public string Object => "chat.completion.chunk";
    public string? SystemFingerprint => null;

    /// <summary>Only on the extra last chunk asked for with stream_options.include_usage.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CompletionUsage? Usage { get; init; }
}

/// <summary>Choice <paramref name="Index"/>'s piece; <paramref name="FinishReason"/> is null before its last chunk.</summary>
public sealed record ChatChunkChoice(int Index, ChatDelta Delta, ChatLogprobs? Logprobs, string? FinishReason);

/// <summary>The role on a choice's first chunk, then content pieces and tool-call pieces.</summary>
public sealed record ChatDelta
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Role { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Content { get; init; }

    /// <summary>Pieces of tool calls, by index.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<FunctionToolCallChunk>? ToolCalls { get; init; }
}

public sealed record ChatLogprobs(List<ChatTokenLogprob> Content)
{
    public string? Refusal => null;

    /// <summary>One {token, logprob, bytes, top_logprobs} per generated token; bytes are the token's raw UTF-8.</summary>
    public static ChatLogprobs Of(IReadOnlyList<TokenLogprob> tokens, ITokenizer tokenizer)
    {
        var list = new List<ChatTokenLogprob>(tokens.Count);
        foreach (TokenLogprob t in tokens)
        {
            var top = new List<ChatTopLogprob>(t.TopLogprobs.Count);
            foreach (TopLogprob a in t.TopLogprobs)
            {
                top.Add(new ChatTopLogprob(a.Text, a.Logprob, Bytes(tokenizer, a.Token)));
            }
            list.Add(new ChatTokenLogprob(t.Text, t.Logprob, Bytes(tokenizer, t.Token), top));
        }
        return new ChatLogprobs(list);
    }

    private static int[] Bytes(ITokenizer tokenizer, int token)
    {
        byte[] raw = tokenizer.TokenBytes(token);
        var bytes = new int[raw.Length];
        for (int i = 0; i < raw.Length; i++)
        {
            bytes[i] = raw[i];
        }
        return bytes;
    }
}

public sealed record ChatTokenLogprob(string Token, float Logprob, int[] Bytes, List<ChatTopLogprob> TopLogprobs);

public sealed record ChatTopLogprob(string Token, float Logprob, int[] Bytes);
