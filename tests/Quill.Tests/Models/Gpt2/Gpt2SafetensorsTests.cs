// A transformers GPT-2 folder and the GGUF file holding the same weights give the same model: logits bit for bit, same tokens.
using Quill.Formats;
using Quill.Models.Gpt2;

namespace Quill.Tests.Models.Gpt2;

public class Gpt2SafetensorsTests
{
    private static readonly int[] Tokens = Enumerable.Range(0, 40).Select(i => (i * 37 + 11) % 512).ToArray();

    public static TheoryData<string, bool, bool> Layouts => new()
    {
        { "small", false, false },  // separate lm_head, plain names, vocab.json + merges.txt
        { "tied", true, true },     // tied head, "transformer." prefix, tokenizer.json
        { "dim96-vocab301", true, false },
    };

    [Theory, MemberData(nameof(Layouts))]
    public void SafetensorsAndGgufGiveIdenticalLogits(string shape, bool prefix, bool tokenizerJson)
    {
        string gguf = SyntheticModels.Get(Gpt2DifferentialTests.Named(shape));
        string folder = HuggingFaceGpt2Files.Write(gguf, new HuggingFaceGpt2Files.Layout(prefix, tokenizerJson));
        using var fromGguf = LanguageModel.Load(gguf, new LoadOptions { Threads = 2 });
        using var fromFolder = Gpt2Model.FromSafetensors(folder, threads: 2);
        Assert.Equal(fromGguf.Model.VocabSize, fromFolder.VocabSize);
        Assert.Equal(((Gpt2Model)fromGguf.Model).Config, fromFolder.Config);

        int v = fromFolder.VocabSize;
        var tokens = Tokens.Select(t => t % v).ToArray();
        var expected = new float[tokens.Length * v];
        var actual = new float[tokens.Length * v];
        using (var state = fromGguf.Model.CreateState(64)) state.AppendAll(tokens, expected);
        using (var state = fromFolder.CreateState(64)) state.AppendAll(tokens, actual);
        Assert.Equal(expected, actual);

        foreach (string text in (string[])["the quick brown fox", "Hello,  world!\n\tünïcode ✓", "<|endoftext|> after"])
        {
            Assert.Equal(fromGguf.Tokenizer.Encode(text), fromFolder.Tokenizer.Encode(text));
            Assert.Equal(fromGguf.Tokenizer.Encode(text, parseSpecial: true), fromFolder.Tokenizer.Encode(text, parseSpecial: true));
        }
        Assert.Equal(fromGguf.Tokenizer.EosId, fromFolder.Tokenizer.EosId);
    }

    [Fact]
    public void FolderWithoutGpt2TensorsIsRefusedInOneLine()
    {
        string folder = HuggingFaceGpt2Files.Write(SyntheticModels.Get(Gpt2DifferentialTests.Named("small")), new(false, false));
        File.Move(Path.Combine(folder, "model.safetensors"), Path.Combine(folder, "other.bin"));
        var e = Assert.ThrowsAny<ModelFormatException>(() => Gpt2Model.FromSafetensors(folder));
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void WrongActivationIsRefused()
    {
        string folder = HuggingFaceGpt2Files.Write(SyntheticModels.Get(Gpt2DifferentialTests.Named("small")), new(false, false));
        string config = Path.Combine(folder, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("gelu_new", "relu"));
        var e = Assert.Throws<ModelFormatException>(() => Gpt2Model.FromSafetensors(folder));
        Assert.Contains("activation_function", e.Message);
    }
}
