// End to end: a random-weight synthetic model generating under JsonConstraint always stops with parseable JSON.
using System.Text.Json;
using Quill.Generation;
using Quill.Generation.Constraints;
using Quill.Models.Synthetic;
using Quill.Tests.Generation.Constraints;
using Quill.Tests.Models;

namespace Quill.Tests.Generation;

public class JsonGenerationTests
{
    private const int Seeds = 12;
    private const string Person = """
        {"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"tags":{"type":"array","items":{"type":"string"}}},
         "required":["name","age","tags"],"additionalProperties":false}
        """;

    public static TheoryData<string, int> Models => new()
    {
        { "llama", 40 }, { "llama", 12 }, { "gpt2", 40 },
    };

    private static LanguageModel Load(string architecture) =>
        LanguageModel.Load(SyntheticModels.Get(new SyntheticModelOptions { Architecture = architecture, VocabSize = 600, ContextLength = 256 }),
            new LoadOptions { Threads = 1 });

    [Theory]
    [MemberData(nameof(Models))]
    public void JsonObjectModeStopsWithAnObject(string architecture, int maxTokens)
    {
        using LanguageModel model = Load(architecture);
        var generator = new Generator(model.Model, model.Tokenizer);
        for (ulong seed = 1; seed <= Seeds; seed++)
        {
            GenerationResult result = generator.Generate(new GenerationRequest
            {
                Prompt = "Reply in JSON:",
                MaxTokens = maxTokens,
                Constraint = JsonConstraint.ForObject(model.Tokenizer),
                Sampling = new SamplingOptions { Temperature = 1f, TopK = 0, TopP = 1f, MinP = 0f, Seed = seed },
            });
            Assert.True(FinishReason.Stop == result.FinishReason, $"seed {seed}: {result.FinishReason} after {result.CompletionTokens} tokens: {result.Text}");
            using JsonDocument document = JsonDocument.Parse(result.Text);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        }
    }

    [Fact]
    public void JsonSchemaModeStopsWithAValidDocument()
    {
        using LanguageModel model = Load("llama");
        var generator = new Generator(model.Model, model.Tokenizer);
        using JsonDocument schema = JsonDocument.Parse(Person);
        for (ulong seed = 1; seed <= Seeds; seed++)
        {
            GenerationResult result = generator.Generate(new GenerationRequest
            {
                Prompt = "Reply in JSON:",
                MaxTokens = 40,
                Constraint = JsonConstraint.ForSchema(model.Tokenizer, schema.RootElement),
                Sampling = new SamplingOptions { Temperature = 1f, Seed = seed },
            });
            Assert.True(FinishReason.Stop == result.FinishReason, $"seed {seed}: {result.FinishReason}: {result.Text}");
            using JsonDocument document = JsonDocument.Parse(result.Text);
            Assert.True(JsonSchemaValidator.IsValid(schema.RootElement, document.RootElement), $"seed {seed}: {result.Text}");
        }
    }
}
