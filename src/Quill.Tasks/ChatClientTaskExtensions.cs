// The tasks as Microsoft.Extensions.AI extension methods on IChatClient: exact on Quill's client, best effort on any other.
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Quill.Generation;
using Quill.Models;
using Quill.Tasks.Generative;
using Quill.Tasks.Prompting;
using Quill.Tasks.Text;
using ChatTemplate = Quill.Tokenizers.ChatTemplates.ChatTemplate;

namespace Quill.Tasks;

/// <summary>
/// Every task on an <see cref="IChatClient"/>. When the client is Quill's own (it offers an <see cref="ICausalModel"/>
/// and a <see cref="ChatTemplate"/> through GetService, as <c>QuillChatClient</c> over a <c>Generator</c> does), the
/// task runs exactly as <see cref="GenerativeTasks"/> does: label probabilities, decoding constrained to spans of the
/// input. Any other client (OpenAI, Ollama) gets the same prompt with a JSON Schema response format, and the reply is
/// checked: labels outside the set and spans that are not in the input are dropped, offsets are found by search, and
/// scores are 1 (such clients report no probabilities). The rewriting tasks are plain chat turns on every client.
/// </summary>
public static class ChatClientTaskExtensions
{
    /// <summary>Every label with its probability, sorted (see <see cref="GenerativeTasks.Classify"/>).</summary>
    public static async Task<IReadOnlyList<LabelScore>> ClassifyAsync(this IChatClient client, string text, IReadOnlyList<string> labels,
        string? prompt = null, CancellationToken ct = default)
    {
        TaskInput.RequireText(text, "classify");
        TaskInput.RequireNames(labels, "classify", "labels");
        if (Exact(client) is { } exact) return await Run(() => exact.Classify(text, labels, prompt, ct)).ConfigureAwait(false);
        var schema = Object(("label", new JsonObject { ["enum"] = new JsonArray([.. labels.Select(l => JsonValue.Create(l))]) }));
        JsonElement reply = await AskJson(client, Fill(prompt ?? TaskPrompts.Classify, ("text", text), ("labels", string.Join(", ", labels))), schema, ct)
            .ConfigureAwait(false);
        string? chosen = reply.TryGetProperty("label", out JsonElement label) ? label.GetString() : null;
        return LabelScores.FromLogprobs(labels, [.. labels.Select(l => l == chosen ? 0.0 : double.NegativeInfinity)]);
    }

    /// <summary>Named entities of the given types, each an exact span of the text (see <see cref="GenerativeTasks.Ner"/>).</summary>
    public static async Task<IReadOnlyList<EntitySpan>> NerAsync(this IChatClient client, string text, IReadOnlyList<string> types,
        string? prompt = null, CancellationToken ct = default)
    {
        TaskInput.RequireText(text, "ner");
        TaskInput.RequireNames(types, "ner", "types");
        if (Exact(client) is { } exact) return await Run(() => exact.Ner(text, types, prompt, ct)).ConfigureAwait(false);
        var item = Object(("type", new JsonObject { ["enum"] = new JsonArray([.. types.Select(t => JsonValue.Create(t))]) }),
            ("text", new JsonObject { ["type"] = "string" }));
        var schema = Object(("entities", new JsonObject { ["type"] = "array", ["items"] = item }));
        JsonElement reply = await AskJson(client, Fill(prompt ?? TaskPrompts.Ner, ("text", text), ("types", string.Join(", ", types))), schema, ct)
            .ConfigureAwait(false);
        var offsets = new TextOffsets(text);
        var spans = new Automata.SpanMatcher(offsets);
        var result = new List<EntitySpan>();
        int notBefore = 0;
        foreach (JsonElement entity in Array(reply, "entities"))
        {
            string? type = entity.TryGetProperty("type", out JsonElement t) ? t.GetString() : null;
            string? word = entity.TryGetProperty("text", out JsonElement w) ? w.GetString() : null;
            if (type is null || word is null || !types.Contains(type)) continue;
            byte[] bytes = System.Text.Encoding.UTF8.GetBytes(word);
            int at = bytes.Length == 0 ? -1 : spans.Locate(bytes, notBefore);
            if (at < 0) continue;
            notBefore = at + bytes.Length;
            result.Add(new EntitySpan(type, word, offsets.CodePointOffset(at), offsets.CodePointOffset(at + bytes.Length), 1.0));
        }
        return result;
    }

    /// <summary>One Universal Dependencies tag per word and punctuation mark (see <see cref="GenerativeTasks.Pos"/>).</summary>
    public static async Task<IReadOnlyList<EntitySpan>> PosAsync(this IChatClient client, string text, string? prompt = null, CancellationToken ct = default)
    {
        TaskInput.RequireText(text, "pos");
        if (Exact(client) is { } exact) return await Run(() => exact.Pos(text, prompt, ct)).ConfigureAwait(false);
        var offsets = new TextOffsets(text);
        List<(int Start, int End)> words = offsets.Tokens();
        var tagEnum = new JsonObject { ["enum"] = new JsonArray([.. GenerativeTasks.UniversalTags.Select(t => JsonValue.Create(t))]) };
        var schema = Object(("tags", new JsonObject { ["type"] = "array", ["items"] = tagEnum }));
        string instruction = Fill(prompt ?? TaskPrompts.Pos, ("text", text), ("tags", string.Join(", ", GenerativeTasks.UniversalTags)))
            + "\n\nWords: " + string.Join(" ", words.Select(w => offsets.Slice(w.Start, w.End)));
        JsonElement reply = await AskJson(client, instruction, schema, ct).ConfigureAwait(false);
        string[] tags = [.. Array(reply, "tags").Select(t => t.GetString() ?? "X")];
        return [.. words.Select((w, i) => new EntitySpan(i < tags.Length && GenerativeTasks.UniversalTags.Contains(tags[i]) ? tags[i] : "X",
            offsets.Slice(w.Start, w.End), offsets.CodePointOffset(w.Start), offsets.CodePointOffset(w.End), i < tags.Length ? 1.0 : 0.0))];
    }

    /// <summary>
    /// The answer as a span of the context (see <see cref="GenerativeTasks.Qa"/>). On another client, an answer that is
    /// not in the context throws <see cref="InvalidOperationException"/>.
    /// </summary>
    public static async Task<ExtractedAnswer> AnswerAsync(this IChatClient client, string context, string question, string? prompt = null,
        CancellationToken ct = default)
    {
        TaskInput.RequireText(context, "qa", "context");
        TaskInput.RequireText(question, "qa", "question");
        if (Exact(client) is { } exact) return await Run(() => exact.Qa(context, question, prompt, ct: ct)).ConfigureAwait(false);
        var schema = Object(("answer", new JsonObject { ["type"] = "string" }));
        JsonElement reply = await AskJson(client, Fill(prompt ?? TaskPrompts.Qa, ("context", context), ("question", question), ("text", context)), schema, ct)
            .ConfigureAwait(false);
        string answer = reply.TryGetProperty("answer", out JsonElement a) ? a.GetString() ?? "" : "";
        var offsets = new TextOffsets(context);
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(answer);
        int at = bytes.Length == 0 ? -1 : new Automata.SpanMatcher(offsets).Locate(bytes, 0);
        if (at < 0) throw new InvalidOperationException($"qa: the model's answer \"{answer}\" is not a span of the context");
        return new ExtractedAnswer(answer, 1.0, offsets.CodePointOffset(at), offsets.CodePointOffset(at + bytes.Length));
    }

    /// <summary>A JSON value valid against <paramref name="schema"/> (see <see cref="GenerativeTasks.Extract"/>).</summary>
    public static async Task<JsonElement> ExtractAsync(this IChatClient client, string text, JsonElement schema, string? prompt = null,
        CancellationToken ct = default)
    {
        TaskInput.RequireText(text, "extract");
        if (Exact(client) is { } exact) return await Run(() => exact.Extract(text, schema, prompt, ct: ct)).ConfigureAwait(false);
        string instruction = Fill(prompt ?? TaskPrompts.Extract, ("text", text), ("schema", schema.GetRawText()));
        return await AskJson(client, instruction, JsonNode.Parse(schema.GetRawText())!, ct).ConfigureAwait(false);
    }

    /// <summary>Up to <paramref name="k"/> keywords, each a span of the text (see <see cref="GenerativeTasks.Keywords"/>).</summary>
    public static async Task<IReadOnlyList<Keyword>> KeywordsAsync(this IChatClient client, string text, int k = 5, string? prompt = null,
        CancellationToken ct = default)
    {
        TaskInput.RequireText(text, "keywords");
        TaskInput.RequireCount(k, "keywords");
        if (Exact(client) is { } exact) return await Run(() => exact.Keywords(text, k, prompt, ct)).ConfigureAwait(false);
        var schema = Object(("keywords", new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" } }));
        string count = k.ToString(System.Globalization.CultureInfo.InvariantCulture);
        JsonElement reply = await AskJson(client, Fill(prompt ?? TaskPrompts.Keywords, ("text", text), ("k", count)), schema, ct).ConfigureAwait(false);
        var offsets = new TextOffsets(text);
        var spans = new Automata.SpanMatcher(offsets);
        var result = new List<Keyword>();
        foreach (JsonElement keyword in Array(reply, "keywords"))
        {
            byte[] bytes = System.Text.Encoding.UTF8.GetBytes(keyword.GetString() ?? "");
            int at = bytes.Length == 0 ? -1 : spans.Locate(bytes, 0);
            if (at < 0 || result.Count >= k) continue;
            result.Add(new Keyword(offsets.Slice(at, at + bytes.Length), 1.0, offsets.CodePointOffset(at), offsets.CodePointOffset(at + bytes.Length)));
        }
        return result;
    }

    /// <summary>
    /// Summarizes, paraphrases, simplifies, translates (into <paramref name="language"/>) or follows the text as an
    /// instruction, as one chat turn with the task's prompt; <see cref="TextTask.Complete"/> needs a raw completion and is refused.
    /// </summary>
    public static async Task<GeneratedText> RewriteAsync(this IChatClient client, TextTask task, string text, string? language = null,
        string? prompt = null, ChatOptions? options = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        TaskInput.RequireText(text, task.ToString().ToLowerInvariant());
        if (task == TextTask.Complete) throw new NotSupportedException("complete: a chat client has no raw completion; use GenerativeTasks.Rewrite");
        if (task == TextTask.Translate && string.IsNullOrWhiteSpace(language))
        {
            throw new ArgumentException("translate: the target language is missing");
        }
        string instruction = Fill(prompt ?? GenerativeTasks.DefaultPrompt(task), ("text", text), ("language", language ?? ""));
        ChatResponse response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, instruction)], options, ct).ConfigureAwait(false);
        return new GeneratedText(GeneratedText.KeyFor(task), response.Text.Trim());
    }

    private static GenerativeTasks? Exact(IChatClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.GetService(typeof(ICausalModel)) is ICausalModel model && client.GetService(typeof(ITextGenerator)) is ITextGenerator generator
            && client.GetService(typeof(ChatTemplate)) is ChatTemplate template
            ? new GenerativeTasks(new TaskModel(model, generator.Tokenizer, template))
            : null;
    }

    private static Task<T> Run<T>(Func<T> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);

    private static async Task<JsonElement> AskJson(IChatClient client, string instruction, JsonNode schema, CancellationToken ct)
    {
        using JsonDocument schemaDocument = JsonDocument.Parse(schema.ToJsonString());
        var options = new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(schemaDocument.RootElement.Clone(), "task_result") };
        ChatResponse response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, instruction)], options, ct).ConfigureAwait(false);
        try
        {
            using JsonDocument reply = JsonDocument.Parse(response.Text);
            return reply.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"task: the model's reply is not JSON ({e.Message.ReplaceLineEndings(" ")})", e);
        }
    }

    private static JsonObject Object(params (string Name, JsonObject Schema)[] properties)
    {
        var props = new JsonObject();
        foreach (var (name, schema) in properties) props[name] = schema;
        return new JsonObject
        {
            ["type"] = "object",
            ["properties"] = props,
            ["required"] = new JsonArray([.. properties.Select(p => JsonValue.Create(p.Name))]),
            ["additionalProperties"] = false,
        };
    }

    private static IEnumerable<JsonElement> Array(JsonElement reply, string name) =>
        reply.ValueKind == JsonValueKind.Object && reply.TryGetProperty(name, out JsonElement list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray()
            : [];

    private static string Fill(string prompt, params (string Name, string Value)[] values) =>
        TaskPrompts.Fill(prompt, values.ToDictionary(v => v.Name, v => v.Value));
}
