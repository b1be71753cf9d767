// ToolCallConstraint driven byte by byte and token by token: free text until the trigger, then only valid call JSON and closing text.
using System.Text;
using System.Text.Json;
using Quill.Generation.Constraints;
using Quill.Tests.Generation;
using Quill.Tokenizers;
using Quill.Tools;

namespace Quill.Tests.Tools;

public class ToolCallConstraintTests
{
    private static readonly ITokenizer Bytes = new ByteTokenizer();

    private static readonly ToolDefinition[] Weather =
    [
        new("get_weather", "Weather in a city",
            Parse("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}""")),
        new("get_time", null, null),
    ];

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static ITokenConstraint Constraint(ToolChoice choice, ToolCallFormat format, bool parallel = true) =>
        new ToolCalling(Weather, choice, parallel, format).NewConstraint(Bytes)!;

    /// <summary>Feeds <paramref name="text"/> byte by byte; returns how many bytes were accepted before one was not allowed.</summary>
    private static int Feed(ITokenConstraint constraint, string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        for (int i = 0; i < bytes.Length; i++)
        {
            if (!constraint.Allows(bytes[i])) return i;
            constraint.Accept(bytes[i]);
        }
        return bytes.Length;
    }

    [Theory]
    [InlineData("Sure. <tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>")]
    [InlineData("<tool_call>{\"name\":\"get_time\",\"arguments\":{}}\n</tool_call>\n<tool_call>{\"name\":\"get_time\",\"arguments\":{}}\n</tool_call>")]
    [InlineData("plain text only, no call")]
    public void AutoAcceptsTextAndValidCalls(string text)
    {
        ITokenConstraint constraint = Constraint(ToolChoice.Auto, ToolCallFormat.Hermes);
        Assert.Equal(Encoding.UTF8.GetByteCount(text), Feed(constraint, text));
        Assert.True(constraint.IsComplete);
        Assert.True(constraint.Allows(ByteTokenizer.Eos));
    }

    [Theory]
    [InlineData("<tool_call>\n{\"name\": \"nope\"", "<tool_call>\n{\"name\": \"")]
    [InlineData("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"town\"", "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"")]
    [InlineData("<tool_call>{\"name\":\"get_time\",\"arguments\":{}}</tool_call>", "<tool_call>{\"name\":\"get_time\",\"arguments\":{}}")]
    public void AfterTheTriggerOnlyTheSchemaIsAllowed(string text, string acceptedPrefix)
    {
        ITokenConstraint constraint = Constraint(ToolChoice.Auto, ToolCallFormat.Hermes);
        Assert.Equal(Encoding.UTF8.GetByteCount(acceptedPrefix), Feed(constraint, text));
        Assert.False(constraint.IsComplete);
        Assert.False(constraint.Allows(ByteTokenizer.Eos));
    }

    [Fact]
    public void RequiredStartsWithTheTriggerAndNamedAllowsOnlyThatFunction()
    {
        ITokenConstraint required = Constraint(ToolChoice.Required, ToolCallFormat.Hermes);
        Assert.False(required.Allows('H'));
        Assert.False(required.Allows(ByteTokenizer.Eos));
        Assert.Equal(11, Feed(required, "<tool_call>x"));
        ITokenConstraint named = Constraint(ToolChoice.Function("get_time"), ToolCallFormat.Hermes);
        Assert.Equal("<tool_call>{\"name\":\"get_".Length, Feed(named, "<tool_call>{\"name\":\"get_weather\""));
    }

    [Fact]
    public void WithoutParallelCallsTheReplyEndsAfterOneCall()
    {
        ITokenConstraint constraint = Constraint(ToolChoice.Required, ToolCallFormat.Hermes, parallel: false);
        string call = "<tool_call>{\"name\":\"get_time\",\"arguments\":{}}\n</tool_call>";
        Assert.Equal(call.Length, Feed(constraint, call + "\n"));
        Assert.True(constraint.Allows(ByteTokenizer.Eos));
    }

    [Fact]
    public void Llama3TriggerIsTheStartOfTheJson()
    {
        ITokenConstraint constraint = Constraint(ToolChoice.Auto, ToolCallFormat.Llama3Json);
        string text = "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Oslo\"}}";
        Assert.Equal(text.Length, Feed(constraint, text));
        Assert.True(constraint.IsComplete);
        Assert.Equal("{\"name\": \"".Length, Feed(Constraint(ToolChoice.Auto, ToolCallFormat.Llama3Json), "{\"name\": \"other\""));
    }

    [Fact]
    public void MistralCallsAreOneArray()
    {
        ITokenConstraint constraint = Constraint(ToolChoice.Required, ToolCallFormat.Mistral);
        string text = "[TOOL_CALLS][{\"name\":\"get_time\",\"arguments\":{}},{\"name\":\"get_weather\",\"arguments\":{\"city\":\"x\"}}]";
        Assert.Equal(text.Length, Feed(constraint, text));
        Assert.True(constraint.IsComplete);
    }

    [Fact]
    public void ATokenStraddlingTextAndTriggerIsCheckedPastTheTrigger()
    {
        // Multi-byte tokens over a byte vocabulary: the GPT-2 vocabulary has "<" "tool" "_" ... and tokens like "}\n" that cross phases.
        ITokenizer gpt2 = Quill.Tests.Generation.Constraints.JsonTestVocabularies.Gpt2;
        ITokenConstraint constraint = new ToolCalling(Weather, ToolChoice.Auto, true, ToolCallFormat.Hermes).NewConstraint(gpt2)!;
        foreach (int token in gpt2.Encode("ok <tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>", false, false))
        {
            Assert.True(constraint.Allows(token), $"token {token} '{gpt2.Decode([token])}'");
            constraint.Accept(token);
        }
        Assert.True(constraint.IsComplete);
        var logits = new float[gpt2.VocabSize];
        constraint.Mask(logits);
        Assert.True(float.IsFinite(logits[gpt2.EosId]));
    }

    [Theory]
    [InlineData("Hermes")]
    [InlineData("Llama3Json")]
    [InlineData("Mistral")]
    public void MaskAllowsExactlyTheTokensAllowsAccepts(string style)
    {
        // Free text (with a partial trigger), the trigger, the JSON, the closing text, and after: at every step the mask's
        // fast path for free text must agree with walking each token.
        ITokenizer gpt2 = Quill.Tests.Generation.Constraints.JsonTestVocabularies.Gpt2;
        (ToolCallFormat format, string text) = style switch
        {
            "Hermes" => (ToolCallFormat.Hermes, "ok <tool and <tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>"),
            "Llama3Json" => (ToolCallFormat.Llama3Json, "{\"name\": \"get_time\", \"parameters\": {}}"),
            _ => (ToolCallFormat.Mistral, "ok [TOOL_CALLS and [TOOL_CALLS][{\"name\":\"get_time\",\"arguments\":{}}]"),
        };
        ITokenConstraint constraint = new ToolCalling(Weather, ToolChoice.Auto, true, format).NewConstraint(gpt2)!;
        var logits = new float[gpt2.VocabSize];
        int steps = 0, refused = 0;
        foreach (int token in gpt2.Encode(text, false, false))
        {
            steps++;
            // Budget 4 in free text: a call cannot start any more, free text still can go on. (Inside a call a budget nothing
            // fits makes Mask fall back to the cheapest tokens, which Allows does not, so it is only checked outside.)
            foreach (int budget in constraint.IsComplete ? [int.MaxValue, 4] : new[] { int.MaxValue })
            {
                constraint.RemainingTokens = budget;
                logits.AsSpan().Clear();
                constraint.Mask(logits);
                for (int id = 0; id < gpt2.VocabSize; id++)
                {
                    bool allowed = constraint.Allows(id);
                    refused += allowed ? 0 : 1;
                    Assert.True(float.IsFinite(logits[id]) == allowed, $"{style}, step {steps}, budget {budget}, token {id} '{gpt2.Decode([id])}'");
                }
            }
            constraint.RemainingTokens = int.MaxValue;
            Assert.True(constraint.Allows(token), $"{style}: token {token} '{gpt2.Decode([token])}'");
            constraint.Accept(token);
        }
        Assert.True(refused > 0);
    }

    [Fact]
    public void UnsupportedSchemaNamesTheToolAndKeyword()
    {
        ToolDefinition[] tools =
            [new("ok", null, null), new("zip", null, Parse("""{"type":"object","properties":{"z":{"type":"string","pattern":"^[0-9]+$"}}}"""))];
        var e = Assert.Throws<ArgumentException>(() => new ToolCalling(tools, ToolChoice.Auto, true, ToolCallFormat.Hermes));
        Assert.Equal("tools[1].function.parameters of function 'zip': 'pattern' at #/properties/z is not supported", e.Message);
        Assert.Throws<ArgumentException>(() => new ToolCalling(tools, ToolChoice.Function("missing"), true, ToolCallFormat.Hermes));
    }

    [Theory]
    [InlineData("{% for m in messages %}{{ m.content }}{% endfor %}", ToolCallStyle.Generic)]
    [InlineData("{%- if tools %}<tools>{% endif %}<tool_call>", ToolCallStyle.Hermes)]
    [InlineData("[AVAILABLE_TOOLS]{{ tools|tojson }}[/AVAILABLE_TOOLS][TOOL_CALLS]", ToolCallStyle.Mistral)]
    [InlineData("<|start_header_id|>ipython<|end_header_id|>", ToolCallStyle.Llama3Json)]
    public void DetectsTheFormatFromTheTemplate(string source, ToolCallStyle style) => Assert.Equal(style, ToolCallFormat.Detect(source).Style);
}
