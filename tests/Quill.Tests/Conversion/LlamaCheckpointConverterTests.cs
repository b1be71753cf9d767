// Hugging Face Llama checkpoints converted to GGUF: same logits as transformers' semantics (scalar reference), in Quill and in llama.cpp.
using Quill.Conversion;
using Quill.Models;
using Quill.Tensors;
using Quill.TestSupport.LlamaCpp;

namespace Quill.Tests.Conversion;

public sealed class LlamaCheckpointConverterTests : IDisposable
{
    private const float Tolerance = 2e-3f; // relative to the largest logit; F16 weights, F32 compute vs double reference

    private readonly string _folder = Directory.CreateTempSubdirectory("quill-hf-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    public static TheoryData<bool, int> Shapes => new() { { false, 2 }, { true, 4 }, { false, 1 } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ConvertedModelComputesWhatTransformersComputes(bool tied, int kvHeads)
    {
        string checkpoint = HuggingFaceLlamaFiles.Write(Path.Combine(_folder, "hf"), new HuggingFaceLlamaFiles.Shape(KvHeads: kvHeads, Tied: tied));
        string gguf = Path.Combine(_folder, "model.gguf");
        LlamaCheckpointConverter.Convert(checkpoint, gguf, new ConversionOptions { Type = GgmlType.F32 });

        int[] ids = [1, 450, 4996, 17354, 1701, 29916, 432, 17204, 975, 278];
        float[][] expected = HuggingFaceLlamaFiles.Logits(checkpoint, ids);

        using LanguageModel lm = LanguageModel.Load(gguf, new LoadOptions { KvCacheType = KvCacheType.F32 }); // as transformers and llama.cpp here
        var ours = new float[ids.Length * lm.Model.VocabSize];
        using (IInferenceState state = lm.Model.CreateState(64)) state.AppendAll(ids, ours);
        float[][] llamaCpp = LlamaCppReference.Logits(gguf, ids);
        for (int t = 0; t < ids.Length; t++)
        {
            float scale = expected[t].Max(MathF.Abs);
            for (int i = 0; i < expected[t].Length; i++)
            {
                float mine = ours[t * expected[t].Length + i];
                Assert.True(MathF.Abs(mine - expected[t][i]) <= Tolerance * scale, $"position {t} logit {i}: quill {mine}, transformers {expected[t][i]}");
                Assert.True(MathF.Abs(llamaCpp[t][i] - expected[t][i]) <= Tolerance * scale,
                    $"position {t} logit {i}: llama.cpp {llamaCpp[t][i]}, transformers {expected[t][i]}");
            }
        }
    }

    [Fact]
    public void TokenizerAndHyperparametersComeAlong()
    {
        string checkpoint = HuggingFaceLlamaFiles.Write(Path.Combine(_folder, "hf"), new HuggingFaceLlamaFiles.Shape());
        string gguf = Path.Combine(_folder, "model.gguf");
        LlamaCheckpointConverter.Convert(checkpoint, gguf);
        using LanguageModel lm = LanguageModel.Load(gguf);
        Assert.Equal(LlamaCppReference.Tokenize(gguf, "Hello world, 我愛 🤗", true, false), lm.Tokenizer.Encode("Hello world, 我愛 🤗"));
        Assert.Equal(32000, lm.Model.VocabSize);
        Assert.Equal(256, lm.Model.ContextLength);
    }

    [Fact]
    public void PermutationIsConvertersReshapeSwapAxes()
    {
        // 2 heads of 4 rows, 1 column: per head rows [a0 a1 b0 b1] (rotate-half halves) become [a0 b0 a1 b1].
        float[] rows = [0, 1, 2, 3, 10, 11, 12, 13];
        Assert.Equal([0, 2, 1, 3, 10, 12, 11, 13], LlamaCheckpointConverter.PermuteRows(rows, 8, 1, 2));
    }

    [Theory]
    [InlineData("no-config", "expected config.json")]
    [InlineData("bad-type", "is not a Llama-family model")]
    [InlineData("missing-tensor", "expected a tensor named 'model.norm.weight'")]
    [InlineData("no-tokenizer", "expected tokenizer.json")]
    public void BadCheckpointsGiveOneLineErrors(string kind, string expected)
    {
        string checkpoint = HuggingFaceLlamaFiles.Write(Path.Combine(_folder, kind), new HuggingFaceLlamaFiles.Shape(Layers: 1, Vocab: 32000));
        switch (kind)
        {
            case "no-config": File.Delete(Path.Combine(checkpoint, "config.json")); break;
            case "bad-type":
                File.WriteAllText(Path.Combine(checkpoint, "config.json"),
                File.ReadAllText(Path.Combine(checkpoint, "config.json")).Replace("\"llama\"", "\"bert\"")); break;
            case "no-tokenizer": File.Delete(Path.Combine(checkpoint, "tokenizer.json")); break;
            case "missing-tensor":
                var all = new Quill.Formats.Safetensors.SafetensorsWriter();
                using (var file = Quill.Formats.Safetensors.SafetensorsFile.Open(Path.Combine(checkpoint, "model.safetensors")))
                {
                    foreach (var t in file.Tensors.Where(t => t.Name != "model.norm.weight"))
                        all.AddTensor(t.Name, t.DType, t.Shape, file.GetTensorData(t).ToArray());
                }
                all.WriteTo(Path.Combine(checkpoint, "model.safetensors"));
                break;
        }
        var e = Assert.ThrowsAny<IOException>(() => LlamaCheckpointConverter.Convert(checkpoint, Path.Combine(_folder, kind + ".gguf")));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(File.Exists(Path.Combine(_folder, kind + ".gguf")));
    }
}

public sealed class ConvertCliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("quill-convert-cli-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void ConvertThenGenerate()
    {
        string checkpoint = HuggingFaceLlamaFiles.Write(Path.Combine(_folder, "hf"), new HuggingFaceLlamaFiles.Shape(Layers: 1));
        string gguf = Path.Combine(_folder, "m.gguf");
        var convert = Quill.Tests.Cli.QuillCli.Run("convert", checkpoint, "-o", gguf, "--type", "q8_0");
        Assert.True(convert.ExitCode == 0, convert.Stderr);
        var generate = Quill.Tests.Cli.QuillCli.Run("generate", "-m", gguf, "-p", "Hello", "-n", "4", "--temperature", "0", "--json", "-t", "1");
        Assert.True(generate.ExitCode == 0, generate.Stderr);
        Assert.Contains("\"completion_tokens\":4", generate.Stdout.Replace(" ", ""));
    }

    [Fact]
    public void OnnxEncoderConvertsToAGgufThatEmbedsTheSame()
    {
        string gguf = Path.Combine(_folder, "minilm.gguf");
        var convert = Quill.Tests.Cli.QuillCli.Run("convert", Quill.Embeddings.DefaultEmbedder.OnnxPath, "-o", gguf);
        Assert.True(convert.ExitCode == 0, convert.Stderr);
        var fromFile = Quill.Tests.Cli.QuillCli.Run("embed", "-m", gguf, "--json", "The cat sat on the mat.");
        var builtIn = Quill.Tests.Cli.QuillCli.Run("embed", "--json", "The cat sat on the mat.");
        Assert.True(fromFile.ExitCode == 0, fromFile.Stderr);
        using var a = System.Text.Json.JsonDocument.Parse(fromFile.Stdout);
        using var b = System.Text.Json.JsonDocument.Parse(builtIn.Stdout);
        Assert.Equal(b.RootElement.GetProperty("data").GetRawText(), a.RootElement.GetProperty("data").GetRawText());
    }

    [Fact]
    public void MissingFolderIsOneLineError()
    {
        var r = Quill.Tests.Cli.QuillCli.Run("convert", Path.Combine(_folder, "nothing"), "-o", Path.Combine(_folder, "x.gguf"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no such folder", r.Stderr);
    }
}
