// End to end on random-weight models: every call generated under the tool constraint parses, names a declared function and validates; streamed = whole.
using System.Text.Json;
using Quill.Generation;
using Quill.Models.Synthetic;
using Quill.Tests.Generation.Constraints;
using Quill.Tests.Models;
using Quill.Tokenizers.ChatTemplates;
using Quill.Tools;

namespace Quill.Tests.Tools;

public class ToolGenerationTests
{
    private const int Seeds = 10;

    private static readonly ToolDefinition[] Tools =
    [
        new("get_weather", "Weather in a city", Parse("""
            {"type":"object","properties":{"city":{"type":"string","maxLength":12},"unit":{"enum":["c","f"]},"days":{"type":"integer"}},
             "required":["city","unit"],"additionalProperties":false}
            """)),
        new("search", "Search", Parse("""
            {"type":"object","properties":{"q":{"type":"string"},"tags":{"type":"array","items":{"$ref":"#/$defs/tag"},"maxItems":3}},
             "required":["q"],"additionalProperties":false,"$defs":{"tag":{"type":"string","maxLength":5}}}
            """)),
        new("now"),
    ];

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    public static TheoryData<string, string> Cases => new()
    {
        { "hermes", "required" }, { "hermes", "auto" }, { "llama3", "required" }, { "mistral", "required" }, { "generic", "required" },
        { "hermes", "named" }, { "generic", "auto" },
    };

    private static ToolCallFormat Format(string name) => name switch
    {
        "hermes" => ToolCallFormat.Hermes,
        "llama3" => ToolCallFormat.Llama3Json,
        "mistral" => ToolCallFormat.Mistral,
        _ => ToolCallFormat.Generic,
    };

    private static ToolChoice Choice(string name) => name switch
    {
        "required" => ToolChoice.Required,
        "named" => ToolChoice.Function("search"),
        _ => ToolChoice.Auto,
    };

    private static LanguageModel Load() =>
        LanguageModel.Load(SyntheticModels.Get(new SyntheticModelOptions { VocabSize = 600, ContextLength = 256 }), new LoadOptions { Threads = 1 });

    internal static void AssertValid(IReadOnlyList<ToolDefinition> tools, ChatToolCall call, string context)
    {
        ToolDefinition? tool = tools.FirstOrDefault(t => t.Name == call.Name);
        Assert.True(tool is not null, $"{context}: undeclared function '{call.Name}'");
        using JsonDocument arguments = JsonDocument.Parse(call.Arguments);
        JsonElement schema = tool!.Parameters ?? Parse("""{"type":"object","properties":{},"additionalProperties":false}""");
        Assert.True(JsonSchemaValidator.IsValid(schema, arguments.RootElement), $"{context}: {call.Name}({call.Arguments}) does not match its schema");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task EveryCallValidatesAndStreamedEqualsWhole(string format, string choice)
    {
        using LanguageModel model = Load();
        var generator = new Generator(model.Model, model.Tokenizer);
        var calling = new ToolCalling(Tools, Choice(choice), parallelCalls: true, Format(format));
        int calls = 0;
        for (ulong seed = 1; seed <= Seeds; seed++)
        {
            var request = new GenerationRequest
            {
                Prompt = "Call a tool:",
                MaxTokens = 120,
                Sampling = new SamplingOptions { Temperature = 1f, TopK = 0, TopP = 1f, MinP = 0f, Seed = seed },
            };
            GenerationResult whole = generator.Generate(request with { Constraint = calling.NewConstraint(model.Tokenizer) });
            var (content, parsed) = ToolCallParser.Parse(calling.Format, whole.Text);
            string context = $"{format}/{choice} seed {seed} ({whole.FinishReason}): {whole.Text}";
            if (choice != "auto") Assert.True(parsed.Count >= 1, context);
            if (choice != "auto") Assert.True(FinishReason.Stop == whole.FinishReason, context);
            foreach (ChatToolCall call in parsed) AssertValid(Tools, call, context);
            if (choice == "named") Assert.All(parsed, c => Assert.Equal("search", c.Name));
            calls += parsed.Count;

            var parser = calling.NewParser()!;
            var streamed = new ToolCallAccumulator();
            await foreach (GenerationChunk chunk in generator.StreamAsync(request with { Constraint = calling.NewConstraint(model.Tokenizer) }))
            {
                streamed.Add(parser.Push(chunk.Text));
            }
            streamed.Add(parser.Finish());
            Assert.Equal(content, streamed.Content);
            Assert.Equal(parsed.Select(c => (c.Name, c.Arguments)), streamed.Calls.Select(c => (c.Name, c.Arguments)));
        }
        if (choice != "auto") Assert.True(calls >= Seeds);
    }
}
