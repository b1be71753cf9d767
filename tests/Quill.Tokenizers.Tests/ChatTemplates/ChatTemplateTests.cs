// Errors (unsupported constructs, raise_exception, unclosed blocks, bad configs), Jinja behaviour beyond the oracle
// (d, count, round, strip(chars), tuples), and the GGUF / tokenizer_config sources; oracle comparisons live elsewhere.
using Quill.Formats.Gguf;
using Quill.Tokenizers.ChatTemplates;

namespace Quill.Tokenizers.Tests.ChatTemplates;

public class ChatTemplateTests
{
    [Theory]
    [InlineData("a\n\n{{ x | wordwrap }}", "chat template: unsupported filter 'wordwrap' at line 3")]
    [InlineData("{% include 'other.jinja' %}", "chat template: unsupported statement 'include' at line 1")]
    [InlineData("\n{% if x is divisibleby %}{% endif %}", "chat template: unsupported test 'divisibleby' at line 2")]
    [InlineData("{% for m in messages %}\n{{ m }}", "chat template: unclosed 'for' block opened at line 1, expected {% endfor %} at line 1")]
    [InlineData("{% if x %}a{% else %}b", "chat template: unclosed 'if' block opened at line 1, expected {% endif %} at line 1")]
    [InlineData("{{ x ", "chat template: unexpected end of template inside a tag at line 1")]
    [InlineData("{{ 'abc }}", "chat template: unterminated string literal at line 1")]
    [InlineData("{# never closed", "chat template: unclosed comment {# ... #} at line 1")]
    [InlineData("a\n{% endif %}", "chat template: unexpected '{% endif %}' without its opening block at line 2")]
    [InlineData("{{ f(*args) }}", "chat template: unsupported argument unpacking '*' at line 1")]
    [InlineData("{{ 1 + }}", "chat template: unexpected '}}' at line 1")]
    public void UnsupportedOrBrokenTemplatesFailAtParseNamingConstructAndLine(string source, string message)
    {
        var e = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(source));
        Assert.Equal(message, e.Message);
        Assert.False(e.RaisedByTemplate);
    }

    [Theory]
    [InlineData("{{ messages.append(1) }}", "chat template: unsupported method 'append' at line 1")]
    [InlineData("\n{{ nope() }}", "chat template: unknown function 'nope' at line 2")]
    [InlineData("{{ 1 - 'a' }}", "chat template: operator '-' cannot apply to a integer and a string at line 1")]
    [InlineData("{{ 1 // 0 }}", "chat template: division by zero at line 1")]
    [InlineData("{{ messages | upper }}", "chat template: filter 'upper' cannot apply to a list at line 1")]
    [InlineData("{% set x = 1 %}{% set x.y = 2 %}", "chat template: cannot set an attribute on a integer; only on a namespace() at line 1")]
    public void RuntimeFailuresNameTheProblemAndLine(string source, string message)
    {
        var e = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(source).Render([new ChatMessage("user", "hi")]));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void RaiseExceptionCarriesTheTemplatesMessage()
    {
        var template = ChatTemplate.Parse("{% if messages[0].role != 'user' %}{{ raise_exception('First message must be from the user') }}{% endif %}");
        var e = Assert.Throws<ChatTemplateException>(() => template.Render([new ChatMessage("assistant", "x")]));
        Assert.Equal("First message must be from the user", e.Message);
        Assert.True(e.RaisedByTemplate);
        Assert.IsAssignableFrom<IOException>(e);
    }

    [Fact]
    public void NamedTemplatesSayWhichTemplateFailed()
    {
        var e = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse("{{ x | center }}", "model.gguf"));
        Assert.Equal("chat template 'model.gguf': unsupported filter 'center' at line 1", e.Message);
    }

    // Jinja (Python) behaviour where @huggingface/jinja raises or has no such filter; expected values from Jinja 3.1.
    [Theory]
    [InlineData("{{ x | d('dflt') }}", "dflt")]
    [InlineData("{{ [1, 2, 3] | count }}", "3")]
    [InlineData("{{ 2.5 | round }}|{{ 3.14159 | round(2) }}|{{ 2.7 | round(0, 'floor') }}", "3.0|3.14|2.0")]
    [InlineData("{{ '\\n\\n  x  \\n'.strip('\\n') }}|{{ 'xxaxx'.lstrip('x') }}|{{ 'xxaxx'.rstrip('x') }}", "  x  |axx|xxa")]
    [InlineData("{% for a, b in [(1, 2), (3, 4)] %}{{ a + b }}{% endfor %}", "37")]
    [InlineData("{{ ', '.join(['a', 'b']) }}", "a, b")]
    [InlineData("{{ x ~ 'y' }}|{{ x | length }}|{% for i in x %}never{% endfor %}", "y|0|")]
    [InlineData("{{ ['b', 'a'] | map('upper') | join }}", "BA")]
    [InlineData("{% for x in [1, 2, 3] %}{% if x == 2 %}{% continue %}{% endif %}{{ x }}{% endfor %}", "13")]
    [InlineData("{{ 'Hi' if true }}{{ strftime_now('%%') }}", "Hi%")]
    public void JinjaBehaviourBeyondTheOracle(string source, string expected) =>
        Assert.Equal(expected, ChatTemplate.Parse(source).Render([]));

    [Fact]
    public void RenderPassesGenerationPromptSpecialTokensAndExtraVariables()
    {
        var template = ChatTemplate.Parse("{{ bos_token }}{{ messages | length }}{{ add_generation_prompt }}{{ tools[0].name }}{{ eos_token }}")
            .WithSpecialTokens("<s>", "</s>");
        var tools = new List<object?> { new Dictionary<string, object?> { ["name"] = "search" } };
        Assert.Equal("<s>1falsesearch</s>", template.Render([new ChatMessage("user", "q")], addGenerationPrompt: false,
            new Dictionary<string, object?> { ["tools"] = tools }));
        Assert.Equal("[x]1true</s>",
            template.Render([new ChatMessage("user", "q")], variables: new Dictionary<string, object?> { ["bos_token"] = "[x]", ["tools"] = null }));
    }

    [Fact]
    public void BuiltInsRenderTheirFamilysFormat()
    {
        ChatMessage[] chat = [new("system", "S"), new("user", "U")];
        Assert.Equal("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n", ChatTemplate.BuiltIn("chatml").Render(chat));
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            ChatTemplate.BuiltIn("llama3").Render(chat));
        Assert.Equal("<s>[INST] <<SYS>>\nS\n<</SYS>>\n\nU [/INST]", ChatTemplate.BuiltIn("llama2").Render(chat));
        Assert.Equal("<|im_start|>user\nU<|im_end|>\n", ChatTemplate.Fallback().Render([new("user", "U")], addGenerationPrompt: false));
        Assert.Throws<ArgumentException>(() => ChatTemplate.BuiltIn("nope"));
    }

    [Fact]
    public void FromGgufReadsTheTemplateAndSpecialTokenTexts()
    {
        string path = Path.Combine(Path.GetTempPath(), $"quill-chat-{Guid.NewGuid():N}.gguf");
        try
        {
            var writer = new GgufWriter();
            writer.Set("general.architecture", "llama");
            writer.Set("tokenizer.ggml.tokens", new[] { "<unk>", "<s>", "</s>", "hi" });
            writer.Set("tokenizer.ggml.bos_token_id", 1u);
            writer.Set("tokenizer.ggml.eos_token_id", 2u);
            writer.Set("tokenizer.chat_template", "{{ bos_token }}{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}");
            writer.WriteTo(path);
            using (GgufFile file = GgufFile.Open(path))
            {
                ChatTemplate template = ChatTemplate.FromGguf(file)!;
                Assert.Equal(("<s>", "</s>"), (template.BosToken, template.EosToken));
                Assert.Equal("<s>hi</s>", template.Render([new ChatMessage("user", "hi")]));
            }
            writer.Remove("tokenizer.chat_template");
            writer.WriteTo(path);
            using (GgufFile file = GgufFile.Open(path)) Assert.Null(ChatTemplate.FromGguf(file));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("""{"chat_template": "A{{ bos_token }}{{ eos_token }}", "bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>"}""", "A<s></s>")]
    [InlineData("""{"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}""", "D")]
    [InlineData("""{"chat_template": [{"name": "rag", "template": "R"}]}""", "R")]
    public void FromTokenizerConfigReadsEveryShape(string json, string expected)
    {
        string path = WriteTemp(json);
        try
        {
            Assert.Equal(expected, ChatTemplate.FromTokenizerConfig(path)!.Render([]));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("{\"chat_template\": ", "expected JSON")]
    [InlineData("[1, 2]", "expected a JSON object, found Array")]
    [InlineData("{\"chat_template\": 5}", "\"chat_template\" must be a string or a list of {name, template}, found Number")]
    [InlineData("{\"chat_template\": [{\"name\": \"x\"}]}", "\"chat_template\" list entries must be")]
    [InlineData("{\"chat_template\": \"x\", \"eos_token\": 3}", "\"eos_token\" must be a string or {\"content\": \"...\"}, found Number")]
    public void MalformedConfigsGiveOneLineErrorsNamingTheFile(string json, string fragment)
    {
        string path = WriteTemp(json);
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => ChatTemplate.FromTokenizerConfig(path));
            Assert.StartsWith(path + ": ", e.Message, StringComparison.Ordinal);
            Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string WriteTemp(string json)
    {
        string path = Path.Combine(Path.GetTempPath(), $"quill-tokenizer_config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }
}
