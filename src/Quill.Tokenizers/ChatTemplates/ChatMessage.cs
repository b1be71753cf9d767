// One turn of a conversation as chat templates see it (messages[i].role / .content).
namespace Quill.Tokenizers.ChatTemplates;

/// <summary>A chat message: <paramref name="Role"/> is "system", "user", "assistant", "tool", ...</summary>
public sealed record ChatMessage(string Role, string Content);
