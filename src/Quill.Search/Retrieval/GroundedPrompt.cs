// The chat messages that ask a model to answer from numbered sources and cite them; builds text, runs no model.
using System.Globalization;
using System.Text;
using Quill.Tokenizers.ChatTemplates;
using AIChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AIChatRole = Microsoft.Extensions.AI.ChatRole;

namespace Quill.Search.Retrieval;

/// <summary>
/// A system instruction (answer only from the sources, cite them as [n], say so when they do not hold the answer) and a
/// user message with the sources numbered [1]..[k] in rank order, each headed by its path and lines, then the question.
/// Feed it to a <c>ChatSession</c> (<see cref="System"/> as its system prompt, <see cref="User"/> as the turn), or
/// <see cref="ToAIChatMessages"/> to any Microsoft.Extensions.AI <c>IChatClient</c> such as <c>QuillChatClient</c>.
/// </summary>
public sealed record GroundedPrompt(string System, string User, IReadOnlyList<SearchHit> Sources)
{
    /// <summary>The instruction every grounded prompt starts with.</summary>
    public const string Instruction =
        "Answer the user's question using only the numbered sources they give. After each sentence, cite the sources it " +
        "comes from by number in square brackets, like [1] or [2][3]. If the sources do not contain the answer, say that " +
        "you do not know. Do not use outside knowledge, and do not cite a number that is not listed.";

    /// <summary>
    /// The prompt for <paramref name="question"/> over <paramref name="sources"/> (best first; source n is
    /// <c>sources[n - 1]</c>); <paramref name="displayPath"/> shortens paths for the model (default: as stored).
    /// </summary>
    public static GroundedPrompt Build(string question, IReadOnlyList<SearchHit> sources, Func<string, string>? displayPath = null)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(sources);
        displayPath ??= p => p;
        var user = new StringBuilder();
        user.Append("Sources:\n\n");
        for (int i = 0; i < sources.Count; i++)
        {
            SearchHit s = sources[i];
            user.Append(CultureInfo.InvariantCulture, $"{Cite(i + 1)} {displayPath(s.File)}:{s.StartLine}-{s.EndLine}\n");
            user.Append(s.Text.Trim()).Append("\n\n");
        }
        if (sources.Count == 0) user.Append("(none: nothing stored matches the question)\n\n");
        user.Append("Question: ").Append(question.Trim());
        return new GroundedPrompt(Instruction, user.ToString(), sources);
    }

    /// <summary>How source <paramref name="number"/> (1-based) is cited: [n].</summary>
    public static string Cite(int number) => string.Create(CultureInfo.InvariantCulture, $"[{number}]");

    /// <summary>The system and user messages, for a chat template or a <c>ChatSession</c>.</summary>
    public IReadOnlyList<ChatMessage> ToChatMessages() => [new ChatMessage("system", System), new ChatMessage("user", User)];

    /// <summary>The same two messages as Microsoft.Extensions.AI messages, for an <c>IChatClient</c>.</summary>
    public IList<AIChatMessage> ToAIChatMessages() => [new AIChatMessage(AIChatRole.System, System), new AIChatMessage(AIChatRole.User, User)];
}
