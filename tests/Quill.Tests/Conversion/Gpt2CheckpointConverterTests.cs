// GPT-2 checkpoints (transformers' layout) converted to GGUF give back the very tensors and vocabulary they came from.
using Quill.Conversion;
using Quill.Formats.Gguf;
using Quill.Tensors;
using Quill.Tests.Models;
using Quill.Tests.Models.Gpt2;
using Quill.TestSupport.LlamaCpp;

namespace Quill.Tests.Conversion;

public sealed class Gpt2CheckpointConverterTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("quill-gpt2-convert-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    public static TheoryData<bool, bool, bool> Layouts => new() { { false, true, false }, { true, false, false }, { false, true, true } };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void ConvertedFileHoldsTheOriginalTensorsAndVocabulary(bool prefix, bool tokenizerJson, bool tied)
    {
        string original = SyntheticModels.Get(Gpt2DifferentialTests.Shape(tied: tied));
        string checkpoint = HuggingFaceGpt2Files.Write(original, new HuggingFaceGpt2Files.Layout(prefix, tokenizerJson));
        string converted = Path.Combine(_folder, "gpt2.gguf");
        CheckpointConverter.Convert(checkpoint, converted, new ConversionOptions { Type = GgmlType.F32 });

        using GgufFile a = GgufFile.Open(original), b = GgufFile.Open(converted);
        Assert.Equal(a.Tensors.Select(t => t.Name).Order(), b.Tensors.Select(t => t.Name).Order());
        foreach (GgufTensorInfo t in a.Tensors)
        {
            GgufTensorInfo u = b.GetTensor(t.Name);
            Assert.Equal(t.Shape, u.Shape);
            Assert.True(a.GetTensorData(t).SequenceEqual(b.GetTensorData(u)), $"{t.Name} differs");
        }
        Assert.Equal(a.GetStringArray("tokenizer.ggml.tokens"), b.GetStringArray("tokenizer.ggml.tokens"));
        foreach (string key in (string[])["gpt2.embedding_length", "gpt2.block_count", "gpt2.attention.head_count", "gpt2.context_length",
            "gpt2.feed_forward_length"])
            Assert.Equal(a.RequireInteger(key), b.RequireInteger(key));

        int[] ids = LlamaCppReference.Tokenize(converted, "Hello world, it is a test", addSpecial: false, parseSpecial: false);
        Assert.Equal(LlamaCppReference.Logits(original, ids)[^1], LlamaCppReference.Logits(converted, ids)[^1]);
    }
}
