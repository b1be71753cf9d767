// One turn of a conversation as chat templates see it (messages[i].role / .content / .tool_calls / .tool_call_id / .name).
namespace Quill.Tokenizers.ChatTemplates;

/// <summary>
/// A chat message: <paramref name="Role"/> is "system", "user", "assistant", "tool", ... Templates see
/// <c>tool_calls</c> only on messages that have some (Llama 3.1's template tests <c>'tool_calls' in message</c>), and
/// <c>tool_call_id</c> and <c>name</c> only when set.
/// </summary>
public sealed record ChatMessage(string Role, string Content)
{
    /// <summary>The calls an assistant message made (OpenAI's <c>tool_calls</c>); null or empty for none.</summary>
    public IReadOnlyList<ChatToolCall>? ToolCalls { get; init; }

    /// <summary>The call a "tool" message answers (OpenAI's <c>tool_call_id</c>).</summary>
    public string? ToolCallId { get; init; }

    /// <summary>The function a "tool" message answers for, or a participant's name; null when not given.</summary>
    public string? Name { get; init; }
}

/// <summary>
/// One function call: <paramref name="Id"/> (e.g. "call_..."), the function <paramref name="Name"/> and its
/// <paramref name="Arguments"/> as JSON text. Templates see {id, type: "function", function: {name, arguments}} with
/// arguments as a mapping when the text is a JSON object (what Hugging Face templates expect), else as the string.
/// </summary>
public sealed record ChatToolCall(string Id, string Name, string Arguments);
