// Conversations with tools, calls and results rendered from ChatMessage objects by Quill and by @huggingface/jinja (Qwen3, a Llama 3.1-style template).
using System.Text.Json.Nodes;
using Quill.TestSupport.Oracles;
using Quill.Tokenizers.ChatTemplates;

namespace Quill.Tokenizers.Tests.ChatTemplates;

public class ToolTemplateOracleTests
{
    /// <summary>
    /// No Llama 3.1 tokenizer_config.json is available offline (the lenml llama3 package is Llama 3.0), so this template is
    /// written here in Llama 3.1's tool syntax and with the constructs its template uses: tojson(indent=4), 'tool_calls' in
    /// message, "is mapping or is iterable", tool_call.arguments | tojson, raise_exception.
    /// </summary>
    private const string Llama31Style = """
        {{- bos_token }}{%- if not tools is defined %}{%- set tools = none %}{%- endif %}
        {{- "<|start_header_id|>system<|end_header_id|>\n\n" }}
        {%- if tools is not none %}{{- "Environment: ipython\n" }}{%- endif %}
        {%- if tools is not none %}
            {{- 'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.\n\n' }}
            {%- for t in tools %}{{- t | tojson(indent=4) }}{{- "\n\n" }}{%- endfor %}
        {%- endif %}{{- "<|eot_id|>" }}
        {%- for message in messages %}
            {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
                {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' }}
            {%- elif 'tool_calls' in message %}
                {%- if not message.tool_calls|length == 1 %}{{- raise_exception("This model only supports single tool-calls at once!") }}{%- endif %}
                {%- set tool_call = message.tool_calls[0].function %}
                {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' -}}
                {{- '{"name": "' + tool_call.name + '", "parameters": ' }}{{- tool_call.arguments | tojson }}{{- "}<|eot_id|>" }}
            {%- else %}
                {{- "<|start_header_id|>ipython<|end_header_id|>\n\n" }}
                {%- if message.content is mapping or message.content is iterable %}{{- message.content | tojson }}{%- else %}{{- message.content }}{%- endif %}
                {{- "<|eot_id|>" }}
            {%- endif %}
        {%- endfor %}
        {%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{%- endif %}
        """;

    private const string ToolsJson = """
        [{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}, "required": ["city"]}}}]
        """;

    private static readonly ChatMessage[] Conversation =
    [
        new("system", "Use tools."),
        new("user", "Weather in Paris for 2 days?"),
        new("assistant", "") { ToolCalls = [new ChatToolCall("call_1", "get_weather", """{"city": "Paris", "days": 2}""")] },
        new("tool", "{\"temp\": 21}") { ToolCallId = "call_1", Name = "get_weather" },
        new("assistant", "It is 21 °C."),
        new("user", "And tomorrow?"),
    ];

    /// <summary>The conversation as the JSON Hugging Face's apply_chat_template is given (arguments as a mapping).</summary>
    private static JsonArray ConversationJson() => (JsonArray)JsonNode.Parse("""
        [{"role": "system", "content": "Use tools."}, {"role": "user", "content": "Weather in Paris for 2 days?"},
         {"role": "assistant", "content": "",
          "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris", "days": 2}}}]},
         {"role": "tool", "content": "{\"temp\": 21}", "tool_call_id": "call_1", "name": "get_weather"},
         {"role": "assistant", "content": "It is 21 °C."}, {"role": "user", "content": "And tomorrow?"}]
        """)!;

    public static TheoryData<string, bool> Cases => new() { { "qwen3", true }, { "qwen3", false }, { "llama3.1-style", true }, { "llama3.1-style", false } };

    private static ChatTemplate Load(string family) => family == "qwen3"
        ? ChatTemplate.FromTokenizerConfig(NodeOracle.LenmlTokenizerConfig("qwen3"))!
        : ChatTemplate.Parse(Llama31Style, "llama3.1-style").WithSpecialTokens("<|begin_of_text|>", "<|eot_id|>");

    [Theory]
    [MemberData(nameof(Cases))]
    public void ToolConversationsRenderAsHuggingFaceJinja(string family, bool withTools)
    {
        ChatTemplate template = Load(family);
        var context = new JsonObject { ["messages"] = ConversationJson(), ["add_generation_prompt"] = true };
        if (withTools) context["tools"] = JsonNode.Parse(ToolsJson);
        if (template.BosToken is not null) context["bos_token"] = template.BosToken;
        if (template.EosToken is not null) context["eos_token"] = template.EosToken;
        (string? expected, string? error) = NodeOracle.RenderTemplates([(template.Source, context)])[0];
        Assert.Null(error);
        var variables = new Dictionary<string, object?>();
        if (withTools) variables["tools"] = JsonNode.Parse(ToolsJson);
        string rendered = template.Render(Conversation, true, variables);
        Assert.Equal(expected, rendered);
        Assert.Contains(family == "qwen3" ? "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 2}}" :
            "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\", \"days\": 2}}", rendered);
    }

    [Fact]
    public void TwoCallsInOneLlamaMessageRaiseAsHuggingFaceJinjaDoes()
    {
        ChatTemplate template = Load("llama3.1-style");
        ChatToolCall call = new("c", "f", "{}");
        ChatMessage[] messages = [new("user", "x"), new("assistant", "") { ToolCalls = [call, call] }];
        var e = Assert.Throws<ChatTemplateException>(() => template.Render(messages));
        Assert.Contains("This model only supports single tool-calls at once!", e.Message);
    }
}
