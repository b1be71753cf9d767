// The mapping from OpenAI's sampling fields onto Quill's GenerationRequest: defaults, per-choice seeds, range checks.
using System.Text.Json;
using Quill.Generation;
using Quill.Models.Synthetic;
using Quill.Server.Contracts;
using Quill.Tokenizers;

namespace Quill.Server.Tests;

public sealed class GenerationParametersTests
{
    private static readonly ITokenizer Tokenizer = SyntheticTokenizer();

    private static ITokenizer SyntheticTokenizer()
    {
        string path = Path.Combine(Path.GetTempPath(), $"quill-params-{Environment.ProcessId}.gguf");
        SyntheticModelWriter.Write(path, new SyntheticModelOptions { Dim = 16, Layers = 1, Heads = 2, KvHeads = 2, FeedForwardDim = 16, VocabSize = 300 });
        try
        {
            using var model = LanguageModel.Load(path);
            return model.Tokenizer;
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static CompletionRequest Parse(string json) =>
        JsonSerializer.Deserialize(json, ServerJsonContext.Default.CompletionRequest)!;

    [Fact]
    public void AbsentFieldsTakeOpenAIDefaults()
    {
        var p = GenerationParameters.Read(Parse("{}"), Tokenizer);
        SamplingOptions s = p.RequestFor(0, [1], 16, null).Sampling;
        Assert.Equal((1f, 1f, 0, 0f, 1f, -1), (s.Temperature, s.TopP, s.TopK, s.MinP, s.RepeatPenalty, s.RepeatLastN));
        Assert.Null(s.Seed);
        Assert.Equal((1, false, false), (p.N, p.Stream, p.IncludeUsage));
        Assert.Empty(p.Stop);
    }

    [Fact]
    public void EachChoiceDrawsWithSeedPlusItsIndex()
    {
        var p = GenerationParameters.Read(Parse("""{"seed":-1,"n":3,"temperature":0.5,"presence_penalty":1.5,"stop":"END"}"""), Tokenizer);
        Assert.Equal([ulong.MaxValue, 0UL, 1UL], Enumerable.Range(0, 3).Select(i => p.RequestFor(i, [1], 4, null).Sampling.Seed!.Value));
        GenerationRequest r = p.RequestFor(1, [1, 5], 4, 2);
        Assert.Equal((0.5f, 1.5f, 4, 2), (r.Sampling.Temperature, r.Sampling.PresencePenalty, r.MaxTokens, r.Logprobs));
        Assert.Equal(["END"], r.Stop);
        Assert.Equal([1, 5], r.PromptTokens!);
    }

    [Theory]
    [InlineData("""{"temperature":-0.1}""", "temperature")]
    [InlineData("""{"temperature":2.01}""", "temperature")]
    [InlineData("""{"top_p":-1}""", "top_p")]
    [InlineData("""{"top_k":-1}""", "top_k")]
    [InlineData("""{"min_p":1.5}""", "min_p")]
    [InlineData("""{"frequency_penalty":2.5}""", "frequency_penalty")]
    [InlineData("""{"n":17}""", "n")]
    [InlineData("""{"stop":""}""", "stop")]
    [InlineData("""{"stop":["a",""]}""", "stop[1]")]
    [InlineData("""{"stop":{"a":1}}""", "stop")]
    [InlineData("""{"response_format":{"type":"json_schema"}}""", "response_format.json_schema.schema")]
    public void OutOfRangeValueNamesItsField(string json, string param)
    {
        ApiError error = Assert.Throws<ApiError>(() => GenerationParameters.Read(Parse(json), Tokenizer));
        Assert.Equal((400, param), (error.Status, error.Param));
    }

    [Theory]
    [InlineData("""{"temperature":0}""")]
    [InlineData("""{"temperature":2,"top_p":0,"presence_penalty":-2,"frequency_penalty":2}""")]
    [InlineData("""{"n":16,"stop":["a","b","c","d"]}""")]
    [InlineData("""{"response_format":{"type":"text"}}""")]
    public void BoundaryValuesAreAccepted(string json) => GenerationParameters.Read(Parse(json), Tokenizer);
}
