// quill quantize against llama.cpp's own quantizer (llama_model_quantize through LLamaSharp) on the same synthetic F16 files.
using System.Text.RegularExpressions;
using LLama.Native;
using Quill.Formats;
using Quill.Formats.Gguf;
using Quill.Models.Synthetic;
using Quill.Quantization;
using Quill.Tensors;
using Quill.Tensors.Quantization;
using Quill.Tests.Models;
using Quill.TestSupport.LlamaCpp;

namespace Quill.Tests.Quantization;

public sealed class ModelQuantizerTests(QuantizedFiles files) : IClassFixture<QuantizedFiles>
{
    /// <summary>16 layers (so use_more_bits picks some), grouped-query 4, rows a whole super-block: every mix rule has work.</summary>
    private static readonly SyntheticModelOptions Deep = new()
    {
        Dim = 256, Layers = 16, Heads = 8, KvHeads = 2, FeedForwardDim = 512, VocabSize = 512, Type = GgmlType.F16, Seed = 11,
    };

    /// <summary>Rows of 160 (not a super-block: K-quants fall back), tied embeddings, no grouping.</summary>
    private static readonly SyntheticModelOptions Narrow = new()
    {
        Dim = 160, Layers = 3, Heads = 5, KvHeads = 5, FeedForwardDim = 320, VocabSize = 512, Type = GgmlType.F16, Seed = 12, TiedEmbeddings = true,
    };

    /// <summary>GPT-2: fused attn_qkv, biases, learned position embeddings (which llama.cpp never quantizes).</summary>
    private static readonly SyntheticModelOptions Gpt2 = new()
    {
        Architecture = "gpt2", Dim = 256, Layers = 8, Heads = 4, KvHeads = 4, FeedForwardDim = 1024, VocabSize = 512, Type = GgmlType.F16, Seed = 13,
    };

    public static TheoryData<string> Mixes => new(QuantizationMix.All.Where(m => m != QuantizationMix.Q2_K_S).Select(m => m.Name));

    [Theory, MemberData(nameof(Mixes))]
    public void PlanPicksLlamaCppsTypesInItsOrder(string mix)
    {
        foreach (SyntheticModelOptions options in new[] { Deep, Narrow, Gpt2 })
        {
            string source = SyntheticModels.Get(options);
            string theirs = LlamaCppQuantized(source, mix);
            using GgufFile input = GgufFile.Open(source);
            using GgufFile reference = GgufFile.Open(theirs);
            IReadOnlyList<PlannedTensor> plan = TensorTypePlanner.Plan(input.Tensors, QuantizationMix.Parse(mix), ModelShape.Of(input));
            Assert.Equal(reference.Tensors.Select(t => $"{t.Name} {t.Type}"), plan.Select(p => $"{p.Name} {p.Target}"));
        }
    }

    [Theory, MemberData(nameof(Mixes))]
    public void EveryMixIsByteIdenticalToLlamaCpp(string mix) => AssertSameFile(Deep, mix);

    [Theory]
    [InlineData("Q8_0"), InlineData("Q4_K_M"), InlineData("Q3_K_S"), InlineData("Q6_K"), InlineData("Q2_K")]
    public void NarrowRowsFallBackAsLlamaCppDoes(string mix) => AssertSameFile(Narrow, mix);

    [Theory]
    [InlineData("Q4_K_M"), InlineData("Q5_K_S"), InlineData("Q3_K_L")]
    public void Gpt2IsByteIdenticalToLlamaCpp(string mix) => AssertSameFile(Gpt2, mix);

    [Fact]
    public void FileTypeNumbersAreLlamaCpps()
    {
        foreach (QuantizationMix mix in QuantizationMix.All)
        {
            Assert.True(Enum.TryParse("MOSTLY_" + mix.Name, out LLamaFtype ftype) || Enum.TryParse("LLAMA_FTYPE_MOSTLY_" + mix.Name, out ftype)
                || Enum.TryParse("LLAMA_FTYPE_ALL_" + mix.Name, out ftype) || Enum.TryParse("ALL_" + mix.Name, out ftype), mix.Name);
            Assert.Equal((uint)ftype, mix.FileType);
        }
    }

    [Fact]
    public void LeaveOutputTensorAndPureMatchLlamaCpp()
    {
        string source = SyntheticModels.Get(Deep);
        foreach ((bool leave, bool pure) in new[] { (true, false), (false, true) })
        {
            string theirs = Temp($"llama-q8-{leave}-{pure}.gguf");
            LlamaCppReference.Quantize(source, theirs, "Q8_0", leaveOutputTensor: leave, pure: pure);
            using GgufFile input = GgufFile.Open(source);
            using GgufFile reference = GgufFile.Open(theirs);
            var options = new TensorTypeOptions { LeaveOutputTensor = leave, Pure = pure };
            IReadOnlyList<PlannedTensor> plan = TensorTypePlanner.Plan(input.Tensors, QuantizationMix.Q8_0, ModelShape.Of(input), options);
            Assert.Equal(reference.Tensors.Select(t => $"{t.Name} {t.Type}"), plan.Select(p => $"{p.Name} {p.Target}"));
        }
    }

    [Fact]
    public void TensorTypeOverridesTakeTheFirstMatch()
    {
        using GgufFile input = GgufFile.Open(SyntheticModels.Get(Deep));
        var options = new TensorTypeOptions
        {
            Overrides = [(new Regex(@"blk\.1\.ffn"), GgmlType.Q8_0), (new Regex("ffn"), GgmlType.Q5_0)],
        };
        IReadOnlyList<PlannedTensor> plan = TensorTypePlanner.Plan(input.Tensors, QuantizationMix.Q4_0, ModelShape.Of(input), options);
        Assert.Equal(GgmlType.Q8_0, plan.Single(p => p.Name == "blk.1.ffn_down.weight").Target);
        Assert.Equal(GgmlType.Q5_0, plan.Single(p => p.Name == "blk.10.ffn_up.weight").Target);
        Assert.Equal(GgmlType.Q4_0, plan.Single(p => p.Name == "blk.1.attn_q.weight").Target);
        Assert.Equal(GgmlType.F32, plan.Single(p => p.Name == "blk.1.attn_norm.weight").Target);
    }

    [Fact]
    public void RequantizingSaysSoAndEqualsQuantizingTheDequantizedFloats()
    {
        string q8 = Temp("requant-source-q8_0.gguf");
        ModelQuantizer.Quantize(SyntheticModels.Get(Deep), q8, QuantizationMix.Q8_0);
        string ours = Temp("requant-q4_0.gguf");
        var leave = new QuantizeOptions { Types = new TensorTypeOptions { LeaveOutputTensor = true } };
        QuantizeResult result = ModelQuantizer.Quantize(q8, ours, QuantizationMix.Q4_0, leave);
        Assert.Equal([GgmlType.Q8_0], result.Requantized);
        using GgufFile source = GgufFile.Open(q8);
        using GgufFile output = GgufFile.Open(ours);
        GgufTensorInfo from = source.GetTensor("blk.3.attn_q.weight"), to = output.GetTensor("blk.3.attn_q.weight");
        Assert.Equal(GgmlType.Q4_0, to.Type);
        int columns = (int)from.Shape[0];
        var floats = new float[columns];
        QuantFormat q8Format = QuantFormats.Get(GgmlType.Q8_0), q4Format = QuantFormats.Get(GgmlType.Q4_0);
        var expected = new byte[q4Format.RowBytes(columns)];
        q8Format.Dequantize(source.GetTensorData(from)[..q8Format.RowBytes(columns)], floats);
        q4Format.Quantize!(floats, expected);
        Assert.Equal(expected, output.GetTensorData(to)[..expected.Length].ToArray());
    }

    [Fact]
    public void MalformedInputIsOneLineAndWritesNothing()
    {
        string bad = Temp("not-a-model.gguf");
        File.WriteAllText(bad, "this is not a GGUF file at all");
        string output = Temp("never-written.gguf");
        var e = Assert.ThrowsAny<ModelFormatException>(() => ModelQuantizer.Quantize(bad, output, QuantizationMix.Q8_0));
        Assert.Contains(bad, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(File.Exists(output));

        string truncated = Temp("truncated.gguf");
        byte[] whole = File.ReadAllBytes(SyntheticModels.Get(Narrow));
        File.WriteAllBytes(truncated, whole[..(whole.Length / 2)]);
        Assert.ThrowsAny<ModelFormatException>(() => ModelQuantizer.Quantize(truncated, output, QuantizationMix.Q8_0));
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(output)!, ".never-written*"));
    }

    [Fact]
    public void BadRequestsAreRefusedBeforeWriting()
    {
        string source = SyntheticModels.Get(Narrow);
        Assert.Throws<ArgumentException>(() => ModelQuantizer.Quantize(source, source, QuantizationMix.Q8_0));
        var unknown = Assert.Throws<ArgumentException>(() => QuantizationMix.Parse("Q7_K"));
        Assert.Contains("Q4_K_M", unknown.Message);
        Assert.Equal(QuantizationMix.Q4_K_M, QuantizationMix.Parse("q4_k"));
        string output = Temp("q2ks.gguf");
        Assert.Throws<ArgumentException>(() => ModelQuantizer.Quantize(SyntheticModels.Get(Deep), output, QuantizationMix.Q2_K_S));
        Assert.False(File.Exists(output));
    }

    /// <summary>Quill's file against llama.cpp's: every tensor's name, type, shape and bytes, in the same order, and the two keys it sets.</summary>
    private void AssertSameFile(SyntheticModelOptions options, string mix)
    {
        string source = SyntheticModels.Get(options);
        string theirs = LlamaCppQuantized(source, mix);
        string ours = Temp($"quill-{mix}-{options.Dim}.gguf");
        ModelQuantizer.Quantize(source, ours, QuantizationMix.Parse(mix), new QuantizeOptions { Threads = 2 });
        using GgufFile a = GgufFile.Open(ours);
        using GgufFile b = GgufFile.Open(theirs);
        static string Line(GgufTensorInfo t) => $"{t.Name} {t.Type} [{string.Join(",", t.Shape)}]";
        Assert.Equal(b.Tensors.Select(Line), a.Tensors.Select(Line));
        foreach (GgufTensorInfo t in a.Tensors)
            Assert.True(a.GetTensorData(t).SequenceEqual(b.GetTensorData(b.GetTensor(t.Name))), $"{mix}: tensor {t.Name} ({t.Type}) differs from llama.cpp's");
        Assert.Equal(b.GetUInt32("general.file_type"), a.GetUInt32("general.file_type"));
        Assert.Equal(b.GetUInt32("general.quantization_version"), a.GetUInt32("general.quantization_version"));
        Assert.Equal(b.Metadata.Keys.Order(StringComparer.Ordinal), a.Metadata.Keys.Order(StringComparer.Ordinal));
    }

    private string Temp(string name) => files.Temp(name);

    private string LlamaCppQuantized(string source, string mix) => files.LlamaCppQuantized(source, mix);
}

/// <summary>
/// The folder of quantized files the tests write (half a gigabyte a run) and llama.cpp's quantizations, made once per
/// run and shared; xUnit disposes the fixture when the class is done, which deletes the folder (a ProcessExit handler
/// did not: the test host is stopped without one).
/// </summary>
public sealed class QuantizedFiles : IDisposable
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<string>> _llamaCpp = new();

    public string Folder { get; } = Directory.CreateTempSubdirectory("quill-quantize-").FullName;

    public string Temp(string name) => Path.Combine(Folder, name);

    /// <summary>llama.cpp's quantization of <paramref name="source"/> to <paramref name="mix"/>, made once per run.</summary>
    public string LlamaCppQuantized(string source, string mix) =>
        _llamaCpp.GetOrAdd(source + "|" + mix, _ => new Lazy<string>(() =>
        {
            string path = Temp($"llama-{mix}-{Guid.NewGuid():N}.gguf");
            LlamaCppReference.Quantize(source, path, mix);
            return path;
        })).Value;

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
