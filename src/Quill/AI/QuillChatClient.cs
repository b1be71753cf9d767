// Quill's chat models as a Microsoft.Extensions.AI IChatClient, in process, with tool calling (FunctionCallContent out, results back in).
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Quill.Generation;
using Quill.Tokenizers.ChatTemplates;
using Quill.Tools;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Quill.AI;

/// <summary>
/// An <see cref="IChatClient"/> over an <see cref="ITextGenerator"/> (a <see cref="Generator"/> or a batcher) and the
/// model's <see cref="ChatTemplate"/>, so .NET AI code (Semantic Kernel, ChatClientBuilder pipelines) runs Quill models
/// with no server. Each call renders the whole conversation (stateless, like OpenAI's chat completions).
/// <para>
/// Messages: roles system, user, assistant and tool; their <see cref="TextContent"/>s are concatenated, an assistant's
/// <see cref="FunctionCallContent"/>s become its tool_calls and a tool message's <see cref="FunctionResultContent"/>s
/// "tool" messages, as the template expects them. Custom roles and other contents throw <see cref="NotSupportedException"/>.
/// </para>
/// <para>
/// Tools: <see cref="ChatOptions.Tools"/> (<see cref="AIFunctionDeclaration"/>s) go into the prompt in the template's
/// format (<see cref="ToolCallFormat.Detect"/>); <see cref="ChatOptions.ToolMode"/> auto leaves text free until a call
/// starts, RequireAny / RequireSpecific force a call from the first token, None never calls; each call's arguments are
/// constrained to the function's JSON schema. A reply that calls returns <see cref="FunctionCallContent"/>s (arguments
/// as JsonElements) with finish reason ToolCalls, so <c>FunctionInvokingChatClient</c> can run the tool loop;
/// streaming yields each FunctionCallContent when its call is complete.
/// <see cref="ChatOptions.Instructions"/> become the system message (joined ahead of one the conversation starts with).
/// </para>
/// <para>
/// Options: Temperature, TopP, TopK, PresencePenalty, FrequencyPenalty and Seed set the sampling (Quill's penalties look
/// at the last <see cref="SamplingOptions.RepeatLastN"/> tokens, prompt included); MaxOutputTokens, StopSequences;
/// ResponseFormat Json constrains the output to a JSON object, or to the schema when one is given. Options left unset
/// keep <see cref="Defaults"/>, or the <see cref="GenerationRequest"/> that <see cref="ChatOptions.RawRepresentationFactory"/>
/// returns (the way to reach min-p, repeat penalty, logprobs). A <see cref="ChatOptions.ModelId"/> other than
/// <see cref="ModelId"/> throws <see cref="ArgumentException"/>: one client serves one model, and silently answering
/// with another would hide a configuration mistake. Reasoning options are ignored.
/// </para>
/// <para>
/// Results: finish reason Stop (end of turn or a stop sequence) or Length (MaxOutputTokens or a full context); usage
/// counts prompt and completion tokens. Cancellation throws <see cref="OperationCanceledException"/>.
/// </para>
/// </summary>
public sealed class QuillChatClient : IChatClient
{
    /// <summary>The provider name in <see cref="ChatClientMetadata"/>.</summary>
    public const string ProviderName = "quill";

    private readonly ITextGenerator _generator;
    private readonly ChatClientMetadata _metadata;
    private readonly IDisposable? _owned;

    /// <summary>A client generating with <paramref name="generator"/>, rendering conversations with <paramref name="template"/>.</summary>
    public QuillChatClient(ITextGenerator generator, ChatTemplate template, string modelId)
        : this(generator, template, modelId, owned: null)
    {
    }

    private QuillChatClient(ITextGenerator generator, ChatTemplate template, string modelId, IDisposable? owned)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        _generator = generator;
        Template = template;
        ModelId = modelId;
        _owned = owned;
        _metadata = new ChatClientMetadata(ProviderName, providerUri: null, defaultModelId: modelId);
    }

    /// <summary>
    /// A client over a loaded model with the chat template its file carries (ChatML with the model's BOS/EOS when it has
    /// none). The client does not own <paramref name="model"/>: dispose the model after the client's last use.
    /// </summary>
    public static QuillChatClient FromModel(LanguageModel model, string? modelId = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new QuillChatClient(new Generator(model.Model, model.Tokenizer), TemplateOf(model), modelId ?? model.Name);
    }

    /// <summary>Loads the GGUF model at <paramref name="path"/> into a client that owns it (disposing the client releases it).</summary>
    public static QuillChatClient Load(string path, LoadOptions? options = null, string? modelId = null)
    {
        LanguageModel model = LanguageModel.Load(path, options);
        try
        {
            return new QuillChatClient(new Generator(model.Model, model.Tokenizer), TemplateOf(model), modelId ?? model.Name, model);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The model's id, reported as <see cref="ChatResponse.ModelId"/> and in the metadata.</summary>
    public string ModelId { get; }

    /// <summary>The template conversations are rendered with.</summary>
    public ChatTemplate Template { get; }

    /// <summary>
    /// What a request starts from before ChatOptions apply: Quill's default sampling (temperature 0.8, top-k 40,
    /// top-p 0.95, min-p 0.05) and no token limit besides the context (the reply ends at the end of its turn).
    /// </summary>
    public GenerationRequest Defaults { get; init; } = new() { MaxTokens = int.MaxValue };

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        (GenerationRequest request, ToolCalling tools) = CreateRequest(messages, options);
        DateTimeOffset createdAt = DateTimeOffset.UtcNow;
        GenerationResult result = await _generator.GenerateAsync(request, cancellationToken).ConfigureAwait(false);
        if (result.FinishReason == FinishReason.Cancelled) throw new OperationCanceledException(cancellationToken);
        var message = new AiChatMessage(ChatRole.Assistant, result.Text) { MessageId = NewId(), CreatedAt = createdAt };
        ChatFinishReason finish = ToChatFinishReason(result.FinishReason);
        if (tools.CallsExpected)
        {
            (string? content, IReadOnlyList<ChatToolCall> calls) = ToolCallParser.Parse(tools.Format, result.Text);
            message.Contents = [.. string.IsNullOrEmpty(content) ? [] : new AIContent[] { new TextContent(content) }, .. calls.Select(ToContent)];
            if (calls.Count > 0 && result.FinishReason == FinishReason.Stop) finish = ChatFinishReason.ToolCalls;
        }
        return new ChatResponse(message)
        {
            ResponseId = NewId(),
            ModelId = ModelId,
            CreatedAt = createdAt,
            FinishReason = finish,
            Usage = ToUsage(result.PromptTokens, result.CompletionTokens),
            RawRepresentation = result,
        };
    }

    /// <summary>One update per generated chunk; the last carries the finish reason and a <see cref="UsageContent"/>.</summary>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        (GenerationRequest request, ToolCalling tools) = CreateRequest(messages, options);
        string responseId = NewId(), messageId = NewId();
        DateTimeOffset createdAt = DateTimeOffset.UtcNow;
        ToolCallParser? parser = tools.NewParser();
        var calls = new ToolCallAccumulator();
        int callsReleased = 0;
        await foreach (GenerationChunk chunk in _generator.StreamAsync(request, cancellationToken).ConfigureAwait(false))
        {
            List<AIContent> contents = Contents(chunk.Text, chunk.FinishReason is not null);
            if (chunk.FinishReason is not FinishReason reason)
            {
                if (contents.Count == 0) continue;
                yield return Update(contents, chunk);
                continue;
            }
            if (reason == FinishReason.Cancelled) throw new OperationCanceledException(cancellationToken);
            if (chunk.Usage is GenerationUsage usage) contents.Add(new UsageContent(ToUsage(usage.PromptTokens, usage.CompletionTokens)));
            ChatResponseUpdate last = Update(contents, chunk);
            last.FinishReason = callsReleased > 0 && reason == FinishReason.Stop ? ChatFinishReason.ToolCalls : ToChatFinishReason(reason);
            yield return last;
        }

        // Text, and each call once the parser has closed it (all of them at the end).
        List<AIContent> Contents(string text, bool end)
        {
            var contents = new List<AIContent>(2);
            if (parser is null)
            {
                if (text.Length > 0) contents.Add(new TextContent(text));
                return contents;
            }
            ToolCallUpdate update = parser.Push(text);
            calls.Add(update);
            string content = update.Content;
            if (end)
            {
                ToolCallUpdate rest = parser.Finish();
                calls.Add(rest);
                content += rest.Content;
            }
            if (content.Length > 0) contents.Add(new TextContent(content));
            IReadOnlyList<ChatToolCall> known = calls.Calls;
            for (; callsReleased < parser.CallCount; callsReleased++) contents.Add(ToContent(known[callsReleased]));
            return contents;
        }

        ChatResponseUpdate Update(IList<AIContent> contents, GenerationChunk chunk) => new(ChatRole.Assistant, contents)
        {
            ResponseId = responseId,
            MessageId = messageId,
            CreatedAt = createdAt,
            ModelId = ModelId,
            RawRepresentation = chunk,
        };
    }

    /// <summary>
    /// <see cref="ChatClientMetadata"/> (provider "quill", <see cref="ModelId"/>), this client, its
    /// <see cref="ITextGenerator"/>, its <see cref="ChatTemplate"/>, or the <see cref="Models.ICausalModel"/> a
    /// <see cref="Generator"/> runs (what Quill.Tasks' constrained tasks need); null for anything else or any key.
    /// </summary>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return _metadata;
        if (serviceType.IsInstanceOfType(this)) return this;
        if (serviceType.IsInstanceOfType(_generator)) return _generator;
        if (serviceType == typeof(Models.ICausalModel) && _generator is Generator generator) return generator.Model;
        if (serviceType == typeof(ChatTemplate)) return Template;
        return null;
    }

    /// <summary>Releases the model when the client loaded it (<see cref="Load"/>); otherwise does nothing.</summary>
    public void Dispose() => _owned?.Dispose();

    private (GenerationRequest Request, ToolCalling Tools) CreateRequest(IEnumerable<AiChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (options?.ModelId is { } asked && !string.Equals(asked, ModelId, StringComparison.Ordinal))
        {
            throw new ArgumentException($"{nameof(QuillChatClient)}: this client serves model '{ModelId}', ChatOptions.ModelId asked for '{asked}'",
                nameof(options));
        }
        GenerationRequest baseRequest = options?.RawRepresentationFactory?.Invoke(this) as GenerationRequest ?? Defaults;
        var templateMessages = ChatRequestMapping.ToTemplateMessages(messages, options?.Instructions);
        ToolCalling tools = ChatRequestMapping.ToolCallingFor(Template, options);
        int[] prompt = ChatRequestMapping.PromptTokens(Template, _generator.Tokenizer, templateMessages, tools);
        return (ChatRequestMapping.ToRequest(baseRequest, prompt, options, _generator.Tokenizer, tools), tools);
    }

    private static ChatTemplate TemplateOf(LanguageModel model) => ChatTemplate.FromGguf(model.File) ?? ChatTemplate.Fallback(model.Tokenizer);

    private static ChatFinishReason ToChatFinishReason(FinishReason reason) => reason switch
    {
        FinishReason.Stop => ChatFinishReason.Stop,
        FinishReason.Length => ChatFinishReason.Length,
        _ => new ChatFinishReason(reason.ToString().ToLowerInvariant()),
    };

    private static UsageDetails ToUsage(int promptTokens, int completionTokens) => new()
    {
        InputTokenCount = promptTokens,
        OutputTokenCount = completionTokens,
        TotalTokenCount = promptTokens + completionTokens,
    };

    private static string NewId() => Guid.NewGuid().ToString("N");

    /// <summary>A parsed call as M.E.AI's content: arguments as a dictionary of JsonElements (the raw JSON text when it is not an object).</summary>
    private static FunctionCallContent ToContent(ChatToolCall call)
    {
        Dictionary<string, object?>? arguments;
        try
        {
            using JsonDocument document = JsonDocument.Parse(call.Arguments);
            arguments = document.RootElement.ValueKind == JsonValueKind.Object
                ? document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone())
                : null;
        }
        catch (JsonException)
        {
            arguments = null;
        }
        return new FunctionCallContent(call.Id, call.Name, arguments) { RawRepresentation = call };
    }
}
